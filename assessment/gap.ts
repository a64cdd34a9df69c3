/**
 * Gap analysis: the smallest set of changes that reaches the next level. Points: repeatedly take the
 * single step that adds the most (a single-choice item moves to its next better option, a multi-choice
 * item ticks one more option; ties go to what the gateway's data could demonstrate, then catalogue
 * order). Scenes: lift the ★ scenes the level still needs first, then any scenes, each time the ones
 * closest to the target level. Each change says whether machine data could demonstrate it.
 */
import { Decimal } from 'decimal.js';
import type { Catalogue, CatalogueItem } from './catalogue/load.ts';
import { itemStepDemonstrable, sceneLiftDemonstrable } from './evidence/demonstrable.ts';
import type { SceneResult, ScoreResult } from './score.ts';

export interface ItemChange {
  item: string;
  name: string;
  from: string[];
  /** The option reached (single) or ticked (multi). */
  to: { id: string; text: string };
  gain: string;
  /** Rate items: the smallest numerator that reaches the band, for the same denominator. */
  numeratorNeeded?: string;
  demonstrable: boolean;
}

export interface SceneChange {
  scene: string;
  constraining: boolean;
  from: number;
  to: number;
  text: string;
  demonstrable: boolean;
}

export interface GapAnalysis {
  /** null at level 4: nothing above. */
  target: number | null;
  pointsNeeded: string;
  items: ItemChange[];
  scenes: SceneChange[];
}

function nextStep(item: CatalogueItem, chosen: readonly string[]): ItemChange[] {
  const points = (ids: readonly string[]) =>
    item.options.filter((o) => ids.includes(o.id)).reduce((a, o) => a.plus(o.points), new Decimal(0));
  const current = points(chosen);
  const base = { item: item.id, name: item.name, from: [...chosen] };
  if (item.type === 'multi') {
    return item.options
      .filter((o) => !o.exclusive && !chosen.includes(o.id))
      .map((o) => ({
        ...base,
        to: { id: o.id, text: o.text },
        gain: o.points,
        demonstrable: itemStepDemonstrable(item.id, o.id),
      }));
  }
  const better = item.options
    .filter((o) => current.lt(o.points))
    .sort((a, b) => new Decimal(a.points).cmp(b.points))[0];
  if (!better) return [];
  return [
    {
      ...base,
      to: { id: better.id, text: better.text },
      gain: new Decimal(better.points).minus(current).toFixed(),
      demonstrable: itemStepDemonstrable(item.id, better.id),
    },
  ];
}

export function analyseGap(catalogue: Catalogue, result: ScoreResult): GapAnalysis {
  const target = (result.level ?? 0) + 1;
  const rule = catalogue.levelRule.levels.find((l) => l.level === target);
  if (!rule) return { target: null, pointsNeeded: '0', items: [], scenes: [] };

  const needed = Decimal.max(0, new Decimal(rule.minScore).minus(result.score));
  const state = new Map(result.items.map((r) => [r.id, r.chosen.map((o) => o.id)]));
  const items: ItemChange[] = [];
  let remaining = needed;
  while (remaining.gt(0)) {
    const candidates = catalogue.items.flatMap((item) => nextStep(item, state.get(item.id) ?? []));
    // Largest gain first; a stable sort keeps catalogue order among equals after the data-first tie-break.
    const best = candidates.sort(
      (a, b) => new Decimal(b.gain).cmp(a.gain) || Number(b.demonstrable) - Number(a.demonstrable),
    )[0];
    if (!best) break; // Every item at its best: 100 points; cannot happen below a level's minScore.
    const item = catalogue.items.find((i) => i.id === best.item)!;
    const rate = result.items.find((r) => r.id === item.id)?.rate;
    const band = item.options.find((o) => o.id === best.to.id)?.band;
    if (rate && band?.moreThan !== undefined) {
      // The numerator must exceed bound × denominator: the next whole unit above it.
      best.numeratorNeeded = new Decimal(band.moreThan).times(rate.denominator).floor().plus(1).toFixed();
    }
    items.push(best);
    state.set(
      item.id,
      item.type === 'multi' ? [...best.from.filter((id) => id !== 'none'), best.to.id] : [best.to.id],
    );
    remaining = remaining.minus(best.gain);
  }

  return {
    target,
    pointsNeeded: needed.toFixed(),
    items,
    scenes: sceneLifts(catalogue, result.scenes, rule),
  };
}

function sceneLifts(
  catalogue: Catalogue,
  scenes: readonly SceneResult[],
  rule: { level: number; scenes?: number; constrainingScenes?: number },
): SceneChange[] {
  if (rule.scenes === undefined || rule.constrainingScenes === undefined) return [];
  const L = rule.level;
  const below = scenes
    .filter((s) => s.level < L)
    .sort(
      (a, b) =>
        b.level - a.level ||
        Number(sceneLiftDemonstrable(b.name, L)) - Number(sceneLiftDemonstrable(a.name, L)),
    );
  const at = scenes.filter((s) => s.level >= L);
  const starShort = Math.max(0, rule.constrainingScenes - at.filter((s) => s.constraining).length);
  const lifted = below.filter((s) => s.constraining).slice(0, starShort);
  const allShort = Math.max(0, rule.scenes - at.length - lifted.length);
  lifted.push(...below.filter((s) => !lifted.includes(s)).slice(0, allShort));
  return lifted.map((s) => ({
    scene: s.name,
    constraining: s.constraining,
    from: s.level,
    to: L,
    text: catalogue.scenes.find((c) => c.name === s.name)!.levels[L - 1]!,
    demonstrable: sceneLiftDemonstrable(s.name, L),
  }));
}
