/**
 * Before/after: two validated assessments of the same enterprise and the same edition, compared per
 * item, per dimension, per scene and on the level, from the results as they were validated. Refused
 * across editions (their items and points differ) and for anything not validated (no official level).
 */
import { Decimal } from 'decimal.js';
import { AssessmentError } from '../errors.ts';
import type { AssessmentRecord } from './store.ts';

export interface PointsChange {
  id: string;
  name: string;
  before: string;
  after: string;
  delta: string;
}

export interface Side {
  id: string;
  version: number;
  validatedBy: string;
  validatedAt: string;
  score: string;
  level: number | null;
}

export interface Comparison {
  edition: string;
  enterprise: AssessmentRecord['enterprise'];
  before: Side;
  after: Side;
  items: (PointsChange & { dimension: string })[];
  dimensions: PointsChange[];
  score: { before: string; after: string; delta: string };
  scenes: { name: string; constraining: boolean; before: number; after: number; change: number }[];
  /** No level counts as 0 for the change: from no level to level 2 is +2. */
  level: { before: number | null; after: number | null; change: number };
}

const refused = (message: string) => new AssessmentError('SHUGAI_RECORD_REFUSED', message);
const delta = (before: string, after: string) => new Decimal(after).minus(before).toFixed();
const label = (r: AssessmentRecord) => `assessment "${r.id}" version ${r.version}`;

function side(r: AssessmentRecord): Side {
  if (!r.validation)
    throw refused(`${label(r)} is not validated (stage ${r.stage}): only validated assessments are compared`);
  return {
    id: r.id,
    version: r.version,
    validatedBy: r.validation.by,
    validatedAt: r.validation.at,
    score: r.report.score,
    level: r.officialLevel,
  };
}

export function compareRecords(before: AssessmentRecord, after: AssessmentRecord): Comparison {
  const sides = { before: side(before), after: side(after) };
  if (before.edition !== after.edition)
    throw refused(
      `${label(before)} is of edition ${before.edition}, ${label(after)} of edition ${after.edition}: only assessments of the same edition are compared`,
    );
  const key = (r: AssessmentRecord) => r.enterprise.creditCode ?? r.enterprise.name;
  if (key(before) !== key(after))
    throw refused(
      `${label(before)} is of ${key(before)}, ${label(after)} of ${key(after)}: not the same enterprise`,
    );
  const b = before.report;
  const a = after.report;
  const change = <T extends { id: string; name: string; points: string }>(x: T, y: T | undefined) => ({
    id: x.id,
    name: x.name,
    before: x.points,
    after: y?.points ?? '0',
    delta: delta(x.points, y?.points ?? '0'),
  });
  return {
    edition: after.edition,
    enterprise: after.enterprise,
    ...sides,
    items: b.items.map((i) => ({
      ...change(
        i,
        a.items.find((j) => j.id === i.id),
      ),
      dimension: i.dimension,
    })),
    dimensions: b.dimensions.map((d) =>
      change(
        d,
        a.dimensions.find((e) => e.id === d.id),
      ),
    ),
    score: { before: b.score, after: a.score, delta: delta(b.score, a.score) },
    scenes: b.scenes.map((s) => {
      const level = a.scenes.find((t) => t.name === s.name)?.level ?? 0;
      return {
        name: s.name,
        constraining: s.constraining,
        before: s.level,
        after: level,
        change: level - s.level,
      };
    }),
    level: {
      before: before.officialLevel,
      after: after.officialLevel,
      change: (after.officialLevel ?? 0) - (before.officialLevel ?? 0),
    },
  };
}
