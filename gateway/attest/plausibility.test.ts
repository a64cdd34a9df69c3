import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../sinks/sink.ts';
import { goodSample } from '../sinks/testing.ts';
import { exactPeriod, offlinePeriods, SignalWatch } from './plausibility.ts';

const H = 3_600_000;
const point = (tag: string, t: number, value: number, type: StoredSample['type'] = 'integer') =>
  goodSample('press-1', tag, type, value, t);

describe('plausibility flags', () => {
  it('flags an integer counter that only rose for more than a day, not one that reset at a shift', () => {
    const watch = new SignalWatch();
    for (let i = 0; i <= 30; i++) watch.add(point('strokes', i * H, i * 120));
    // A counter reset at 08:00 and 20:00, as many controllers do.
    for (let i = 0; i <= 30; i++) watch.add(point('parts', i * H, (i % 12) * 100));
    // Floats (energy) rise for ever by nature.
    for (let i = 0; i <= 30; i++) watch.add(point('kwh', i * H, i * 10.5, 'number'));
    expect(watch.flags()).toEqual([
      {
        kind: 'never_reset',
        device: 'press-1',
        tag: 'strokes',
        message: 'press-1/strokes: rose for 30 h without ever resetting, across shift changes',
      },
    ]);
  });

  it('finds the smallest exact period, and none in varying data', () => {
    expect(exactPeriod([1, 2, 3, 1, 2, 3, 1, 2, 3, 1])).toBe(3);
    expect(exactPeriod([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBeUndefined();
  });

  it('lists long periods without attestations', () => {
    expect(offlinePeriods([0, 60_000, 20 * 60_000, 21 * 60_000], 10 * 60_000)).toEqual([
      [60_000, 20 * 60_000],
    ]);
  });
});
