import { describe, expect, it } from 'vitest';
import { type OeeFigures, OeeTracker } from './oee.ts';
import type { ShiftWindow } from './shifts.ts';

const H = 3_600_000;
const M = 60_000;
const day = Date.UTC(2026, 10, 2, 0, 0); // 08:00 in Shanghai
const shifts = [
  { name: 'day', start: '08:00', end: '20:00' },
  { name: 'night', start: '20:00', end: '08:00' },
];

describe('OEE per shift', () => {
  it('computes availability, performance and quality exactly, and closes the shift at its end', () => {
    const ended: [ShiftWindow, OeeFigures][] = [];
    const oee = new OeeTracker({ idealCycleTimeMs: 30_000, shifts, timezone: 'Asia/Shanghai' }, (w, f) =>
      ended.push([w, f]),
    );
    oee.setState('planned_stop', day); // warm-up hour: not planned production
    oee.setState('running', day + H); // 8 h running
    oee.addParts(900, 18, day + 9 * H);
    oee.setState('fault', day + 9 * H); // 1 h fault
    oee.setState('running', day + 10 * H); // 1 h running
    oee.addParts(100, 2, day + 11 * H);
    oee.setState('idle', day + 11 * H); // 1 h idle
    const running = oee.advance(day + 12 * H - M);
    expect(running?.availability).toBeCloseTo(9 / (11 - 1 / 60), 12);
    oee.advance(day + 12 * H + 5 * M);
    expect(ended).toHaveLength(1);
    const [window, figures] = ended[0]!;
    expect(window).toEqual({ name: 'day', start: day, end: day + 12 * H });
    // planned = 12 h − 1 h planned stop = 11 h; running 9 h; 1000 parts × 30 s = 30,000 s = 8.333 h.
    expect(figures.availability).toBe((9 * H) / (11 * H));
    expect(figures.performance).toBe((30_000 * 1000) / (9 * H));
    expect(figures.quality).toBe(980 / 1000);
    expect(figures.oee).toBe(figures.availability! * figures.performance! * figures.quality!);
    // The night shift continues in the idle state.
    expect(oee.advance(day + 13 * H)).toEqual({ availability: 0 });
  });

  it('writes no figure whose denominator is zero', () => {
    const oee = new OeeTracker({ idealCycleTimeMs: 1000, shifts, timezone: 'Asia/Shanghai' }, () => {});
    oee.setState('planned_stop', day);
    expect(oee.advance(day + H)).toEqual({});
  });

  it('counts only the share of a counter interval inside the shift, rounded down', () => {
    const oee = new OeeTracker({ idealCycleTimeMs: 30_000, shifts, timezone: 'Asia/Shanghai' }, () => {});
    oee.setState('running', day - 10 * M); // running through the night shift's end
    // Read at 07:59:00 and 08:01:00: 4 parts, half the interval in the day shift → 2.
    oee.addParts(4, 0, day + M, day - M);
    expect(oee.advance(day + M)).toEqual({ availability: 1, performance: 1, quality: 1, oee: 1 });
    // 08:01:00 → 08:01:40, all in the shift: all 1 part and 1 scrap count.
    oee.addParts(1, 0, day + M + 40_000, day + M);
    oee.addParts(0, 1, day + M + 40_000, day + M);
    expect(oee.advance(day + 2 * M)).toEqual({
      availability: 1,
      performance: (30_000 * 3) / (2 * M),
      quality: 2 / 3,
      oee: ((30_000 * 3) / (2 * M)) * (2 / 3),
    });
  });

  it('counts no part from before the first state seen: no running time stands against it', () => {
    const oee = new OeeTracker({ idealCycleTimeMs: 30_000, shifts, timezone: 'Asia/Shanghai' }, () => {});
    // The gateway starts at 09:00 and first sees the machine running at 09:00:30; the counter's first
    // rise (09:00:00 → 09:00:40) is 3 parts, of which the share after 09:00:30 is ⌊3 × 10/40⌋ = 0.
    oee.setState('running', day + H + 30_000);
    oee.addParts(3, 0, day + H + 40_000, day + H);
    expect(oee.advance(day + H + 60_000)).toEqual({ availability: 1, performance: 0 });
  });

  it('writes a performance above 1 as it is: the ideal cycle time is set too slow', () => {
    const oee = new OeeTracker({ idealCycleTimeMs: 60_000, shifts, timezone: 'Asia/Shanghai' }, () => {});
    oee.setState('running', day);
    oee.addParts(3, 0, day + 2 * M, day + M);
    expect(oee.advance(day + 2 * M)?.performance).toBe(1.5);
  });
});
