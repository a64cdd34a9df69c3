/**
 * Every quote in the policy data is the seed document's own words: found verbatim in the seed file
 * (after NFKC and whitespace normalisation, and with the pinyin glosses one reposting site inserted,
 * e.g. 企業(yè), removed). A misquoted or invented rule fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocuments } from './loader.ts';

/** The five seed documents, kept in the repository so this check never depends on the workplace. */
const SEEDS = path.resolve(import.meta.dirname, 'seeds');

function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)/g, '')
    .replace(/\s+/g, '');
}

function quotes(value: unknown, at: string, out: { at: string; quote: string }[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      quotes(v, `${at}[${i}]`, out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'quote' && typeof v === 'string') out.push({ at, quote: v });
      else quotes(v, `${at}.${k}`, out);
    }
  }
}

describe('citations', () => {
  for (const doc of loadDocuments()) {
    it(`every quote of ${doc.id} stands in its seed ${doc.source}`, () => {
      const seed = normalize(readFileSync(path.join(SEEDS, doc.source), 'utf8'));
      const found: { at: string; quote: string }[] = [];
      quotes(doc, doc.id, found);
      expect(found.length).toBeGreaterThan(5);
      const missing = found.filter((q) => !seed.includes(normalize(q.quote)));
      expect(missing).toEqual([]);
    });
  }
});
