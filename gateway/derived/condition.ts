import type { SampleValue } from '../../core/model.ts';
import type { Condition } from './schema.ts';

/** Whether a rule holds on the device's latest good values; a missing value makes a comparison false. */
export function holds(condition: Condition, latest: ReadonlyMap<string, SampleValue>): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, latest));
  if ('any' in condition) return condition.any.some((c) => holds(c, latest));
  const actual = latest.get(condition.tag);
  if (actual === undefined) return false;
  const expected = condition.value;
  switch (condition.op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    default: {
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      if (condition.op === '>') return actual > expected;
      if (condition.op === '>=') return actual >= expected;
      if (condition.op === '<') return actual < expected;
      return actual <= expected;
    }
  }
}
