import { describe, expect, it } from 'vitest';
import { CounterTotal } from './counter.ts';

describe('counter total', () => {
  it('adds increments, handles a 16-bit wrap and a reset to zero', () => {
    const c = new CounterTotal(0, 65535);
    expect([65530, 65535, 3, 10, 2, 2].map((raw) => c.observe(raw))).toEqual([0, 5, 4, 7, 2, 0]);
    expect(c.total).toBe(18);
    // A shift-start reset from mid-range is a reset, not a wrap.
    expect([40_000, 0, 4].map((raw) => c.observe(raw))).toEqual([39_998, 0, 4]);
  });

  it('treats a drop as a reset when no rollover is configured', () => {
    const c = new CounterTotal(100);
    expect([50, 60, 5].map((raw) => c.observe(raw))).toEqual([0, 10, 5]);
    expect(c.total).toBe(115);
  });

  it('keeps float energy totals at the meter precision', () => {
    const c = new CounterTotal(0);
    for (const raw of [1000.1, 1000.2, 1000.3, 1000.7]) c.observe(raw);
    expect(c.total).toBe(0.6);
  });
});
