/**
 * The loader refuses what would silently change money (duplicate keys, unknown fields, floats,
 * undeclared parameters, overlapping versions); the book picks a measure's version by the case date;
 * splits always add up; periods in years follow the Civil Code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyBook } from './engine/book.ts';
import { addYearsCivilCode } from './engine/validity.ts';
import { loadDocuments } from './loader.ts';
import { Dec, splitByWeights } from './money.ts';

const root = mkdtempSync(path.join(tmpdir(), 'shugai-policy-docs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A one-measure document: 10% of investment.total; `edit` rewrites its text. */
function doc(id: string, from: string, to: string, rate = "'0.10'"): string {
  return `id: ${id}
documentNumber: 测试〔2024〕1号
title: 测试文件
issuer: 测试局
region: [测试市]
issued: '${from}'
published: null
validity: { from: '${from}', to: ${to}, article: 末段, quote: 有效期 }
source: test.txt
parameters: []
programmeRules: []
measures:
  - id: ${id}.subsidy
    title: 测试补助
    article: '1'
    recipient: enterprise
    conditions: []
    formulas:
      - label: 补助
        pieces:
          - { id: s, label: 补助, base: investment.total, rate: ${rate}, nature: fixed, article: '1', quote: 百分之十 }
`;
}

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(root, 'docs-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('loading policy documents', () => {
  it('loads the five seed documents', () => {
    expect(loadDocuments().map((d) => d.id)).toEqual(['yongkang', 'hebi', 'haishu', 'fuyang', 'guangzhou']);
  });

  it('rejects a duplicate key', () => {
    const dir = folder({
      'a.yaml': doc('test', '2024-01-01', 'null').replace(
        'title: 测试文件',
        'title: 测试文件\ntitle: 又一个',
      ),
    });
    expect(() => loadDocuments(dir)).toThrow(/Map keys must be unique/);
  });

  it('rejects an unknown field', () => {
    const dir = folder({
      'a.yaml': doc('test', '2024-01-01', 'null').replace(
        'issuer: 测试局',
        'issuer: 测试局\nissuerr: 测试局',
      ),
    });
    expect(() => loadDocuments(dir)).toThrow(/issuerr/);
  });

  it('rejects a rate written as a float', () => {
    const dir = folder({ 'a.yaml': doc('test', '2024-01-01', 'null', '0.10') });
    expect(() => loadDocuments(dir)).toThrow(/rate/);
  });

  it('rejects a parameter that no declaration names with its article', () => {
    const dir = folder({ 'a.yaml': doc('test', '2024-01-01', 'null', '{ parameter: test.rate }') });
    expect(() => loadDocuments(dir)).toThrow(/parameter test.rate is read but not declared/);
  });

  it('rejects two versions of a measure whose validity overlaps', () => {
    const dir = folder({
      'a.yaml': doc('test', '2024-01-01', "'2024-12-31'"),
      'b.yaml': doc('test', '2024-12-31', 'null').replace('id: test\n', 'id: test-2025\n'),
    });
    expect(() => loadDocuments(dir)).toThrow(/overlapping validity/);
  });

  it('picks the version in force on the case date, and cites every window when none is', () => {
    const later = doc('test', '2025-01-01', 'null', "'0.20'").replace('id: test\n', 'id: test-2025\n');
    const book = PolicyBook.load(
      folder({ 'a.yaml': doc('test', '2024-01-01', "'2024-12-31'"), 'b.yaml': later }),
    );
    const input = (asOf: string) => ({
      asOf,
      enterprise: { name: '甲', region: '测试市' },
      investment: { total: '1000' },
    });
    expect(book.compute('test.subsidy', input('2024-12-31')).amount).toBe('100.00');
    expect(book.compute('test.subsidy', input('2025-01-01')).amount).toBe('200.00');
    const before = book.compute('test.subsidy', input('2023-12-31'));
    expect(before.eligible).toBe(false);
    expect(before.reasons[0]!.message).toContain(
      '2024-01-01 至 2024-12-31;测试〔2024〕1号:2025-01-01 起施行',
    );
  });
});

describe('funding split', () => {
  it('always adds up to the total, the remainder by largest remainder, ties to the first source', () => {
    const weights = [
      { source: 'central', weight: 5 },
      { source: 'city', weight: 3 },
      { source: 'district', weight: 2 },
    ];
    for (let fen = 0; fen <= 2_000; fen++) {
      const total = new Dec(fen).div(100);
      const shares = splitByWeights(total, weights);
      expect(shares.reduce((a, b) => a.plus(b), new Dec(0)).eq(total)).toBe(true);
      // No share is more than a fen away from its exact proportion.
      shares.forEach((s, i) => {
        expect(s.minus(total.mul(weights[i]!.weight).div(10)).abs().lt(0.01)).toBe(true);
      });
    }
    expect(splitByWeights(new Dec('0.05'), weights).map(String)).toEqual(['0.03', '0.01', '0.01']);
    expect(
      splitByWeights(new Dec('1'), [
        { source: 'a', weight: 1 },
        { source: 'b', weight: 1 },
        { source: 'c', weight: 1 },
      ]).map(String),
    ).toEqual(['0.34', '0.33', '0.33']);
  });
});

describe('periods in years (Civil Code 201–202)', () => {
  it('ends on the corresponding day, or the month end when there is none', () => {
    expect(addYearsCivilCode('2024-11-15', 2)).toBe('2026-11-15');
    expect(addYearsCivilCode('2024-02-29', 2)).toBe('2026-02-28');
    expect(addYearsCivilCode('2024-02-29', 4)).toBe('2028-02-29');
  });
});
