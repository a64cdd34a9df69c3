/** The README stays the map of the data: every measure in the coverage table, every parameter and CSV column documented. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { CSV_COLUMNS } from './batch.ts';
import { loadDocuments } from './loader.ts';

const readme = readFileSync(path.join(import.meta.dirname, 'README.md'), 'utf8');
const coverage = readme.slice(readme.indexOf('## Coverage'), readme.indexOf('## Readings'));
const docs = loadDocuments();

it('lists every measure in the coverage table', () => {
  const missing = docs
    .flatMap((d) => d.measures.map((m) => m.id))
    .filter((id) => !coverage.includes(`| \`${id}\` |`));
  expect(missing).toEqual([]);
});

it('documents every parameter and every CSV column', () => {
  const params = docs
    .flatMap((d) => d.parameters.map((p) => p.name))
    .filter((n) => !readme.includes(`\`${n}\``));
  expect(params).toEqual([]);
  expect(CSV_COLUMNS.filter((c) => !readme.includes(c))).toEqual([]);
});
