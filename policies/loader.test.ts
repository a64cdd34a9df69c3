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

describe('industry declarations', () => {
  /** The test document with an industry condition; `decl` is the YAML of its industries list. */
  const withIndustry = (decl: string, quote = '电动(园林)工具行业') =>
    doc('test', '2024-01-01', 'null').replace(
      '    conditions: []\n',
      `    conditions:\n      - field: enterprise.industry\n        industries: ${decl}\n        article: '1'\n        quote: ${quote}\n`,
    );
  const tools = (codes: string) => `[{ wording: 电动(园林)工具, codes: ${codes}, reading: 手持电动工具 }]`;

  it('loads a declaration by code and matches codes by prefix, a coarser code being an error', () => {
    const book = PolicyBook.load(folder({ 'a.yaml': withIndustry(tools("['346']")) }));
    const input = (industry: string) => ({
      asOf: '2024-06-01',
      enterprise: { name: '甲', region: '测试市', industry },
      investment: { total: '1000' },
    });
    expect(book.compute('test.subsidy', input('3465')).amount).toBe('100.00');
    const outside = book.compute('test.subsidy', input('3473'));
    expect(outside.reasons.map((r) => r.message)).toEqual([
      '行业 3473 照相机及器材制造 不在 电动(园林)工具(346 烘炉、风机、包装等设备制造) 之内 — 1“电动(园林)工具行业”',
    ]);
    expect(() => book.compute('test.subsidy', input('34'))).toThrow(
      'enterprise.industry: 34 通用设备制造业 is coarser than test.subsidy needs: 电动(园林)工具(346 烘炉、风机、包装等设备制造) (1)',
    );
  });

  it('rejects a code that is not in GB/T 4754-2017, naming the group it would belong to', () => {
    const dir = folder({ 'a.yaml': withIndustry(tools("['3468']")) });
    expect(() => loadDocuments(dir)).toThrow(
      '3468 is not a code of GB/T 4754-2017: 346 烘炉、风机、包装等设备制造 has 3461, 3462, 3463, 3464, 3465, 3466, 3467',
    );
  });

  it('rejects an unquoted code, which YAML reads as a number', () => {
    const dir = folder({ 'a.yaml': withIndustry(tools('[3465]')) });
    expect(() => loadDocuments(dir)).toThrow("an industry code is a quoted GB/T 4754-2017 code, e.g. '3465'");
  });

  it("rejects a wording that is not in the condition's quote", () => {
    const dir = folder({ 'a.yaml': withIndustry(tools("['3465']"), '五金行业') });
    expect(() => loadDocuments(dir)).toThrow("the wording must stand in the condition's quote");
  });

  it('rejects the industry compared by words, or as a condition of a formula', () => {
    const words = doc('test', '2024-01-01', 'null').replace(
      '    conditions: []\n',
      "    conditions:\n      - { field: enterprise.industry, in: [电动工具], article: '1', quote: 电动工具 }\n",
    );
    expect(() => loadDocuments(folder({ 'a.yaml': words }))).toThrow(
      'enterprise.industry is compared by GB/T 4754-2017 code',
    );
    const inFormula = doc('test', '2024-01-01', 'null').replace(
      '      - label: 补助\n',
      `      - label: 补助\n        when:\n          - { field: enterprise.industry, industries: ${tools("['3465']")}, article: '1', quote: 电动(园林)工具 }\n`,
    );
    expect(() => loadDocuments(folder({ 'a.yaml': inFormula }))).toThrow(/industries/);
  });

  it('rejects one wording declared with two sets of codes in a document', () => {
    const second = withIndustry(tools("['3465']")).replace(
      'measures:\n',
      `measures:\n  - id: test.other\n    title: 其他\n    article: '2'\n    recipient: enterprise\n    conditions:\n      - { field: enterprise.industry, industries: ${tools("['3572']")}, article: '2', quote: 电动(园林)工具 }\n    formulas:\n      - label: 补助\n        pieces:\n          - { id: s, label: 补助, amount: '100', nature: fixed, article: '2', quote: 一百元 }\n`,
    );
    expect(() => loadDocuments(folder({ 'a.yaml': second }))).toThrow(
      'test.subsidy: industry 电动(园林)工具: declared differently elsewhere in this document',
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
