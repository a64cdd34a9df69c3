/**
 * Scoring and levels, exactly: rate bands at their edges, multi-choice sums, the level table at and
 * one below every threshold (points, scenes, ★ scenes), "no level" with what is missing, the gap.
 */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { type Answers, parseAnswers } from './answers.ts';
import { loadCatalogue } from './catalogue/load.ts';
import { fortyPoints, lowestAnswers } from './fixtures.ts';
import { analyseGap } from './gap.ts';
import { checkLevel, type ScoreResult, score } from './score.ts';

const c = loadCatalogue('2024');
const run = (a: Answers): ScoreResult => score(c, parseAnswers(a, c));
const item = (r: ScoreResult, id: string) => r.items.find((i) => i.id === id)!;

function withScenes(a: Answers, levels: Record<string, number>): Answers {
  return { ...a, scenes: { ...a.scenes, ...levels } };
}
// Three ★ scenes and three guiding ones.
const SIX = ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程'];
const at = (names: string[], level: number) => Object.fromEntries(names.map((n) => [n, level]));

describe('item points', () => {
  it.each([
    ['1', '10', 'band-0', '0'], // 10% exactly stays in [0,10%]
    ['100001', '1000000', 'band-1', '1.5'], // 10.0001%
    ['2', '10', 'band-1', '1.5'],
    ['21', '100', 'band-2', '3'],
    ['3', '4', 'band-4', '6'],
  ])('networking %s/%s falls in %s (%s points)', (numerator, denominator, band, points) => {
    const a = lowestAnswers();
    a.items['device-networking'] = { rate: { numerator, denominator } };
    const r = item(run(a), 'device-networking');
    expect([r.chosen[0]!.id, r.points]).toEqual([band, points]);
  });

  it('adds a multi choice exactly: 13 × 0.7 + 0.9 = 10', () => {
    const a = lowestAnswers();
    a.items['data-collection'] = {
      options: c.items
        .find((i) => i.id === 'data-collection')!
        .options.slice(1)
        .map((o) => o.id),
    };
    expect(item(run(a), 'data-collection').points).toBe('10');
    expect(run(fortyPoints()).dimensions.map((d) => d.points)).toEqual(['40', '0', '0']);
    expect(run(fortyPoints()).score).toBe('40');
  });

  it('refuses bad answers, naming each field', () => {
    const a = lowestAnswers();
    a.items.network = { options: ['none', 'wifi'] };
    a.items['device-networking'] = { rate: { numerator: '11', denominator: '10' } };
    delete a.items.talent;
    a.scenes = { ...a.scenes, 不存在: 2 };
    expect(() => parseAnswers(a, c, 'a.yaml')).toThrow(
      'answers a.yaml: items.network.options[1]: unknown option "wifi" (one of none, control-network, system-network, 5g-network, full-coverage); ' +
        'items.network.options: "none" (无) excludes the other options; items.device-networking.rate.numerator: 11 is more than the denominator 10; items.talent: not answered (人才建设); ' +
        'scenes.不存在: no such scene in edition 2024',
    );
    expect(() => parseAnswers({ ...lowestAnswers(), scenes: { 产品设计: 5 } }, c)).toThrow(
      /scenes\.产品设计: Too big/,
    );
  });
});

describe('level table', () => {
  it('39.99 points miss level 2 by 0.01; 40 reach it', () => {
    const rule = c.levelRule.levels[1]!;
    const scenes = run(withScenes(fortyPoints(), at(SIX, 2))).scenes;
    expect(checkLevel(rule, new Decimal('39.99'), scenes).shortfalls.map((s) => s.message)).toEqual([
      'needs 0.01 more points',
    ]);
    expect(checkLevel(rule, new Decimal('40'), scenes).holds).toBe(true);
  });

  it('level 2 with 6 scenes at level 2 (3 ★); one scene short is level 1', () => {
    const r = run(withScenes(fortyPoints(), at(SIX, 2)));
    expect([r.level, r.levelName]).toEqual([2, '二级']);
    const short = run(withScenes(fortyPoints(), { ...at(SIX, 2), 计划排程: 1 }));
    expect(short.level).toBe(1);
    expect(short.missing.map((m) => m.message)).toEqual(['needs 1 more scene at level 2 or above']);
  });

  it('one ★ short: 6 scenes at level 2 but only 2 ★', () => {
    const r = run(withScenes(fortyPoints(), { ...at(SIX, 2), 产品设计: 1, 协同办公: 2 }));
    expect(r.level).toBe(1);
    expect(r.missing.map((m) => m.message)).toEqual(['needs 1 more ★ scene at level 2 or above']);
  });

  it('no level: says what level 1 still needs', () => {
    const r = run(withScenes(lowestAnswers(), at(['工艺设计', '售后服务', '计划排程', '产品设计'], 1)));
    expect(r.level).toBeNull();
    expect(r.missing.map((m) => m.message)).toEqual([
      'needs 20 more points',
      'needs 2 more scenes at level 1 or above',
      'needs 2 more ★ scenes at level 1 or above',
    ]);
  });

  it.each([
    [3, '60', 8, 5],
    [4, '80', 10, 6],
  ])('level %i at exactly %s points, %i scenes, %i ★; one below each is not', (level, minScore, n, stars) => {
    const rule = c.levelRule.levels[level - 1]!;
    const starNames = c.scenes.filter((s) => s.constraining).map((s) => s.name);
    const guiding = c.scenes.filter((s) => !s.constraining).map((s) => s.name);
    const scenesOf = (total: number, star: number) => {
      const names = [...starNames.slice(0, star), ...guiding.slice(0, total - star)];
      return c.scenes.map((s) => ({
        ...s,
        group: '',
        text: null,
        level: names.includes(s.name) ? level : level - 1,
      }));
    };
    expect(checkLevel(rule, new Decimal(minScore), scenesOf(n, stars)).holds).toBe(true);
    expect(checkLevel(rule, new Decimal(minScore).minus('0.01'), scenesOf(n, stars)).holds).toBe(false);
    expect(
      checkLevel(rule, new Decimal(minScore), scenesOf(n - 1, stars)).shortfalls.map((s) => s.kind),
    ).toEqual(['scenes']);
    // One ★ replaced by a guiding scene: same count, one ★ short.
    expect(
      checkLevel(rule, new Decimal(minScore), scenesOf(n, stars - 1)).shortfalls.map((s) => s.kind),
    ).toEqual(['constrainingScenes']);
  });

  it('traces every step', () => {
    const r = run(withScenes(fortyPoints(), at(SIX, 2)));
    expect(r.trace.find((t) => t.subject === 'device-networking')!.detail).toBe(
      '设备联网: 10/10 = 100% → (60%,100%] 6 = 6 分',
    );
    expect(r.trace.find((t) => t.step === 'score')!.detail).toBe('S = 40 + 0 + 0 = 40 分');
    expect(r.trace.filter((t) => t.step === 'level').map((t) => t.detail)).toEqual([
      '一级: 满足',
      '二级: 满足',
      '三级: 不满足: needs 20 more points; needs 8 more scenes at level 3 or above; needs 5 more ★ scenes at level 3 or above',
      '四级: 不满足: needs 40 more points; needs 10 more scenes at level 4 or above; needs 6 more ★ scenes at level 4 or above',
    ]);
    expect(r.unverified.map((u) => u.entry)).toEqual(['levelRule', 'items.funding', 'scenes.仓储物流']);
  });
});

describe('gap analysis', () => {
  it('from level 2 to 3: the largest steps first, ★ lifts first, data-demonstrable marked', () => {
    const a = withScenes(fortyPoints(), { ...at(SIX, 2), 设备管理: 2 });
    const gap = analyseGap(c, run(a));
    expect(gap.target).toBe(3);
    expect(gap.pointsNeeded).toBe('20');
    // 4 × 3.5 + 4 × 1.875 = 21.5: eight steps; no set of seven reaches 20.
    expect(gap.items.map((i) => [i.item, i.to.id, i.gain])).toEqual([
      ['energy-per-revenue', 'unchanged', '3.5'],
      ['energy-per-revenue', 'decreased', '3.5'],
      ['pass-rate', 'unchanged', '3.5'],
      ['pass-rate', 'increased', '3.5'],
      ['management-mechanisms', 'workflow', '1.875'],
      ['management-mechanisms', 'system-operations', '1.875'],
      ['management-mechanisms', 'data-resources', '1.875'],
      ['management-mechanisms', 'innovation-incentives', '1.875'],
    ]);
    expect(gap.items.every((i) => !i.demonstrable)).toBe(true);
    // Level 3 needs 8 scenes (5 ★) at 3: lift 5 ★ (设备管理 first: data can show it), then 3 more.
    expect(gap.scenes.map((s) => [s.scene, s.from, s.demonstrable])).toEqual([
      ['生产管控', 2, true],
      ['设备管理', 2, true],
      ['产品设计', 2, false],
      ['营销管理', 2, false],
      ['质量管理', 0, true],
      ['工艺设计', 2, false],
      ['售后服务', 2, false],
      ['计划排程', 2, false],
    ]);
  });

  it('a rate step says how many devices it needs, and is marked demonstrable', () => {
    // 100 points but networking 4/40 (band 0, −6), no data collection (−10), no network security (−5): 79.
    const a = lowestAnswers();
    for (const i of c.items) {
      if (i.rate) a.items[i.id] = { rate: { numerator: '40', denominator: '40' } };
      else if (i.type === 'single') a.items[i.id] = { options: [i.options.at(-1)!.id] };
      else a.items[i.id] = { options: i.options.filter((o) => !o.exclusive).map((o) => o.id) };
    }
    a.items['device-networking'] = { rate: { numerator: '4', denominator: '40' } };
    a.items['data-collection'] = { options: ['none'] };
    a.items['network-security'] = { options: [] };
    const r = run(withScenes(a, Object.fromEntries(c.scenes.map((s) => [s.name, 3]))));
    expect([r.score, r.level]).toEqual(['79', 3]);
    const gap = analyseGap(c, r);
    expect(gap.items.map((i) => [i.item, i.to.text, i.gain, i.numeratorNeeded, i.demonstrable])).toEqual([
      ['device-networking', '(10%,20%]', '1.5', '5', true],
    ]);
    expect(gap.scenes).toHaveLength(10);
    expect(gap.scenes.filter((s) => s.demonstrable)).toEqual([]);
  });
});
