import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const settings = { initialMs: 1000, maxMs: 30_000 };

  it('doubles from initialMs and stops at maxMs', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(n, settings, top))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('waits between half and all of the step, by the random draw', () => {
    expect(backoffDelay(3, settings, () => 0)).toBe(2000);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(3000);
    expect(backoffDelay(0, settings, () => 0)).toBe(500);
  });
});
