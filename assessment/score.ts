/**
 * Scoring, pure: answers → item points → dimension scores → scene levels → level, with a trace of
 * every step. The level is the highest whose conditions all hold; when none holds, "no level" with
 * what is missing for level 1. Sums in decimal.js: 13 × 0.7 + 0.9 is exactly 10.
 */
import { Decimal } from 'decimal.js';
import { type Answers, bandOf } from './answers.ts';
import type { Catalogue, CatalogueItem } from './catalogue/load.ts';
import type { LevelCondition } from './catalogue/schema.ts';

export interface ChosenOption {
  id: string;
  text: string;
  points: string;
}

export interface ItemResult {
  id: string;
  name: string;
  dimension: string;
  indicator: string;
  type: 'single' | 'multi';
  maxPoints: string;
  chosen: ChosenOption[];
  /** For rate items: the inputs, the ratio as a percentage (4 decimals) and the band it falls in. */
  rate?: { numerator: string; denominator: string; percent: string };
  points: string;
  note?: string;
}

export interface SceneResult {
  name: string;
  group: string;
  constraining: boolean;
  level: number;
  /** The official text of the rated level; null at level 0. */
  text: string | null;
}

/** One shortfall of a level's conditions, structured (for the gap analysis) and said in words. */
export interface Shortfall {
  kind: 'points' | 'scenes' | 'constrainingScenes';
  /** Points (decimal string) or a number of scenes. */
  needed: string;
  message: string;
}

export interface LevelCheck {
  level: number;
  name: string;
  holds: boolean;
  score: { required: string; actual: string };
  scenes?: { required: number; actual: number };
  constrainingScenes?: { required: number; actual: number };
  shortfalls: Shortfall[];
}

export interface TraceStep {
  step: 'item' | 'indicator' | 'dimension' | 'score' | 'scenes' | 'level';
  subject: string;
  detail: string;
}

/** A catalogue entry the reference doubts: its path, its Chinese name and the doubt (in Chinese too). */
export interface UnverifiedEntry {
  entry: string;
  /** Absent in results recorded before it was kept. */
  name?: string;
  note: string;
  noteZh?: string;
}

/** Points as the report prints them, in the table, the radar and the text alike: exact, no trailing zeros. */
export const formatScore = (points: Decimal.Value): string => new Decimal(points).toFixed();

export interface ScoreResult {
  edition: string;
  title: string;
  enterprise: Answers['enterprise'];
  /** The assessing organisation (评测机构) named in the answers. */
  organisation?: string;
  items: ItemResult[];
  dimensions: { id: string; name: string; points: string; max: string }[];
  score: string;
  scenes: SceneResult[];
  /** 1–4, or null: no level. */
  level: number | null;
  levelName: string | null;
  checks: LevelCheck[];
  /** What the next level (level 1 when there is none) still needs; empty at level 4. */
  missing: Shortfall[];
  /** Catalogue entries this result rests on that the reference marks unverified. */
  unverified: UnverifiedEntry[];
  trace: TraceStep[];
}

export function scoreItem(item: CatalogueItem, answers: Answers): ItemResult {
  const answer = answers.items[item.id]!;
  const rate = item.rate && answer.rate ? answer.rate : undefined;
  const ids = rate ? [bandOf(item, rate).id] : (answer.options ?? []);
  const chosen = item.options
    .filter((o) => ids.includes(o.id))
    .map((o) => ({ id: o.id, text: o.text, points: o.points }));
  const result: ItemResult = {
    id: item.id,
    name: item.name,
    dimension: item.dimension,
    indicator: item.indicator,
    type: item.type,
    maxPoints: item.points,
    chosen,
    points: formatScore(chosen.reduce((a, o) => a.plus(o.points), new Decimal(0))),
  };
  if (rate) {
    const percent = new Decimal(rate.numerator).div(rate.denominator).times(100);
    result.rate = { ...rate, percent: percent.toDecimalPlaces(4).toFixed() };
  }
  if (answer.note !== undefined) result.note = answer.note;
  return result;
}

function sceneCounts(scenes: readonly SceneResult[], level: number) {
  const at = scenes.filter((s) => s.level >= level);
  return { all: at.length, constraining: at.filter((s) => s.constraining).length };
}

export function checkLevel(rule: LevelCondition, score: Decimal, scenes: readonly SceneResult[]): LevelCheck {
  const shortfalls: Shortfall[] = [];
  const points = new Decimal(rule.minScore).minus(score);
  if (points.gt(0))
    shortfalls.push({
      kind: 'points',
      needed: formatScore(points),
      message: `needs ${formatScore(points)} more points`,
    });
  const check: LevelCheck = {
    level: rule.level,
    name: rule.name,
    holds: false,
    score: { required: rule.minScore, actual: formatScore(score) },
    shortfalls,
  };
  if (rule.scenes !== undefined && rule.constrainingScenes !== undefined) {
    const counts = sceneCounts(scenes, rule.level);
    check.scenes = { required: rule.scenes, actual: counts.all };
    check.constrainingScenes = { required: rule.constrainingScenes, actual: counts.constraining };
    const more = rule.scenes - counts.all;
    if (more > 0) {
      shortfalls.push({
        kind: 'scenes',
        needed: String(more),
        message: `needs ${more} more scene${more > 1 ? 's' : ''} at level ${rule.level} or above`,
      });
    }
    const moreStar = rule.constrainingScenes - counts.constraining;
    if (moreStar > 0) {
      shortfalls.push({
        kind: 'constrainingScenes',
        needed: String(moreStar),
        message: `needs ${moreStar} more ★ scene${moreStar > 1 ? 's' : ''} at level ${rule.level} or above`,
      });
    }
  }
  check.holds = shortfalls.length === 0;
  return check;
}

/** Scores checked answers (parseAnswers) against a scorable catalogue. */
export function score(catalogue: Catalogue, answers: Answers): ScoreResult {
  const trace: TraceStep[] = [];
  const items = catalogue.items.map((item) => scoreItem(item, answers));
  for (const r of items) {
    const parts = r.chosen.map((o) => `${o.text} ${o.points}`).join(' + ') || '未选';
    const rate = r.rate ? `${r.rate.numerator}/${r.rate.denominator} = ${r.rate.percent}% → ` : '';
    trace.push({ step: 'item', subject: r.id, detail: `${r.name}: ${rate}${parts} = ${r.points} 分` });
  }
  const pointsOf = (ids: (r: ItemResult) => boolean) =>
    items.filter(ids).reduce((a, r) => a.plus(r.points), new Decimal(0));
  const dimensions = catalogue.dimensions.map((d) => {
    for (const ind of d.indicators) {
      const p = pointsOf((r) => r.indicator === ind.id);
      trace.push({
        step: 'indicator',
        subject: ind.id,
        detail: `${ind.name}: ${formatScore(p)} / ${ind.points} 分`,
      });
    }
    const p = pointsOf((r) => r.dimension === d.id);
    trace.push({ step: 'dimension', subject: d.id, detail: `${d.name}: ${formatScore(p)} / ${d.points} 分` });
    return { id: d.id, name: d.name, points: formatScore(p), max: d.points };
  });
  const total = dimensions.reduce((a, d) => a.plus(d.points), new Decimal(0));
  trace.push({
    step: 'score',
    subject: 'S',
    detail: `S = ${dimensions.map((d) => d.points).join(' + ')} = ${formatScore(total)} 分`,
  });

  const scenes = catalogue.sceneGroups.flatMap((g) =>
    g.scenes.map((s) => {
      const level = answers.scenes[s.name]!;
      return {
        name: s.name,
        group: g.name,
        constraining: s.constraining,
        level,
        text: s.levels[level - 1] ?? null,
      };
    }),
  );
  for (const l of catalogue.levelRule.levels) {
    const c = sceneCounts(scenes, l.level);
    trace.push({
      step: 'scenes',
      subject: `L${l.level}`,
      detail: `${l.level}级及以上场景 ${c.all} 个, 其中约束性(★) ${c.constraining} 个`,
    });
  }

  const checks = catalogue.levelRule.levels.map((l) => checkLevel(l, total, scenes));
  const reached = checks.filter((c) => c.holds).at(-1);
  for (const c of checks) {
    const why = c.holds ? '满足' : `不满足: ${c.shortfalls.map((s) => s.message).join('; ')}`;
    trace.push({ step: 'level', subject: `L${c.level}`, detail: `${c.name}: ${why}` });
  }
  const next = checks.find((c) => c.level === (reached?.level ?? 0) + 1);
  return {
    edition: catalogue.edition,
    title: catalogue.title,
    enterprise: answers.enterprise,
    ...(answers.organisation ? { organisation: answers.organisation } : {}),
    items,
    dimensions,
    score: formatScore(total),
    scenes,
    level: reached?.level ?? null,
    levelName: reached?.name ?? null,
    checks,
    missing: next?.shortfalls ?? [],
    unverified: unverifiedEntries(catalogue, answers),
    trace,
  };
}

function unverifiedEntries(catalogue: Catalogue, answers: Answers): UnverifiedEntry[] {
  const out: UnverifiedEntry[] = [];
  const add = (entry: string, name: string, doubt: { unverified?: string; unverifiedZh?: string }) => {
    if (doubt.unverified)
      out.push({
        entry,
        name,
        note: doubt.unverified,
        ...(doubt.unverifiedZh ? { noteZh: doubt.unverifiedZh } : {}),
      });
  };
  add('levelRule', '等级判定规则', catalogue.levelRule);
  for (const item of catalogue.items) {
    add(`items.${item.id}`, `题目 ${item.name}`, item);
    for (const o of item.options)
      if (answers.items[item.id]?.options?.includes(o.id))
        add(`items.${item.id}.${o.id}`, `题目 ${item.name} 的选项“${o.text}”`, o);
  }
  for (const s of catalogue.scenes) add(`scenes.${s.name}`, `场景 ${s.name}`, s);
  return out;
}
