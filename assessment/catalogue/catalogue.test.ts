/**
 * The 2024 catalogue is the reference, exactly: dimension totals, every option's points, every text
 * verbatim (indicators-2024.md, scenes-2024.md), the ★ flags, the level table; the 2022 edition keeps
 * its bands. A correction that breaks the arithmetic is refused on load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_DIR, loadCatalogue, loadCatalogues, parseCatalogue } from './load.ts';

/** The reference texts (indicators and the 64 scene levels), kept in the repository beside the catalogue. */
const DOMAIN = path.resolve(import.meta.dirname, 'reference');
const c = loadCatalogue('2024');

// Straight from indicators-2024.md, option by option.
const EXPECTED_POINTS: Record<string, string[]> = {
  network: ['0', '2', '2', '2', '2'],
  'device-digitization': ['0', '1.5', '3', '4.5', '6'],
  'device-networking': ['0', '1.5', '3', '4.5', '6'],
  'data-collection': ['0', ...Array(13).fill('0.7'), '0.9'],
  'information-systems': ['0', '2.5', '5', '7.5', '10'],
  'network-security': ['1.25', '1.25', '1.25', '1.25'],
  'data-security': ['1.25', '1.25', '1.25', '1.25'],
  'planning-implementation': ['0', '1.5', '3', '4.5', '6', '7.5'],
  'management-mechanisms': ['1.875', '1.875', '1.875', '1.875'],
  talent: ['1.5', '1.5', '1.5', '1.5', '1.5'],
  funding: ['0', '1.875', '3.75', '5.625', '7.5'],
  'energy-per-revenue': ['0', '3.5', '7'],
  'pass-rate': ['0', '3.5', '7'],
  'revenue-per-employee': ['0', '1.5', '3'],
  'cost-per-revenue': ['0', '1.5', '3'],
};

describe('2024 catalogue', () => {
  it('has the dimensions 基础 50, 管理 30, 成效 20', () => {
    expect(c.dimensions.map((d) => [d.name, d.points])).toEqual([
      ['数字化基础', '50'],
      ['数字化管理', '30'],
      ['数字化成效', '20'],
    ]);
    for (const d of c.dimensions) {
      const items = c.items.filter((i) => i.dimension === d.id);
      expect(items.reduce((a, i) => a.plus(i.points), new Decimal(0)).toFixed()).toBe(d.points);
    }
  });

  it('gives every option its points as in the reference', () => {
    expect(Object.fromEntries(c.items.map((i) => [i.id, i.options.map((o) => o.points)]))).toEqual(
      EXPECTED_POINTS,
    );
    const collection = c.items.find((i) => i.id === 'data-collection')!;
    expect(collection.options.reduce((a, o) => a.plus(o.points), new Decimal(0)).toFixed()).toBe('10');
  });

  it('marks single and multi items as the reference does', () => {
    expect(c.items.filter((i) => i.type === 'multi').map((i) => i.id)).toEqual([
      'network',
      'data-collection',
      'network-security',
      'data-security',
      'management-mechanisms',
      'talent',
    ]);
  });

  it('has the 16 scenes with their ★ flags and 64 level texts', () => {
    expect(c.scenes.filter((s) => s.constraining).map((s) => s.name)).toEqual([
      '产品设计',
      '营销管理',
      '生产管控',
      '质量管理',
      '设备管理',
      '安全生产',
      '能耗管理',
      '采购管理',
      '仓储物流',
      '财务管理',
    ]);
    expect(c.scenes.flatMap((s) => s.levels)).toHaveLength(64);
    expect(c.scenes.find((s) => s.name === '仓储物流')!.unverified).toMatch(/guiding/);
  });

  it('has the level table, marked unverified', () => {
    expect(c.levelRule.levels.map((l) => [l.level, l.minScore, l.scenes, l.constrainingScenes])).toEqual([
      [1, '20', 6, 3],
      [2, '40', 6, 3],
      [3, '60', 8, 5],
      [4, '80', 10, 6],
    ]);
    expect(c.levelRule.unverified).toBeTruthy();
  });

  it('keeps the 2022 edition as bands only, not scorable', () => {
    const old = loadCatalogues().get('2022')!;
    expect(old.scorable).toBe(false);
    expect(old.levelRule.levels.map((l) => l.minScore)).toEqual(['20', '40', '60', '80']);
  });

  it('refuses a correction that breaks the sums, naming the item', () => {
    const text = readFileSync(path.join(CATALOGUE_DIR, '2024.yaml'), 'utf8').replace(
      "{ id: 人力资源, text: 人力资源, points: '0.9' }",
      "{ id: 人力资源, text: 人力资源, points: '0.7' }",
    );
    expect(() => parseCatalogue('x.yaml', text)).toThrow(
      'x.yaml: item data-collection: its options add up to 9.8, not 10',
    );
    expect(() => parseCatalogue('x.yaml', text.replace("points: '0.7' }", 'points: 0.7 }'))).toThrow(
      /options\[1\]\.points: Invalid input: expected string, received number/,
    );
  });
});

describe('verbatim against the reference', () => {
  const indicators = readFileSync(path.join(DOMAIN, 'indicators-2024.md'), 'utf8');
  const scenes = readFileSync(path.join(DOMAIN, 'scenes-2024.md'), 'utf8');

  it('every item name and option text stands in indicators-2024.md', () => {
    const missing = c.items
      .flatMap((i) => [i.name, ...i.options.map((o) => o.text)])
      .filter((t) => !indicators.includes(t));
    expect(missing).toEqual([]);
  });

  it('every level text is the line of scenes-2024.md, under its scene and ★ flag', () => {
    for (const s of c.scenes) {
      const heading = `### ${s.name}${s.constraining ? ' ★' : ''}\n`;
      const at = scenes.indexOf(heading);
      expect(at, s.name).toBeGreaterThan(0);
      const block = scenes
        .slice(at + heading.length)
        .split('\n')
        .slice(0, 4);
      expect(block).toEqual(s.levels.map((t, i) => `${i + 1} ${t}`));
    }
  });
});
