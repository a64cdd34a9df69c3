import { describe, expect, it } from 'vitest';
import { shiftAt, zoneOffsetMs } from './shifts.ts';

const shifts = [
  { name: 'day', start: '08:00', end: '20:00' },
  { name: 'night', start: '20:00', end: '08:00' },
];
// 2026-11-02 in Shanghai (UTC+8): 08:00 local = 00:00 UTC.
const localDay = Date.UTC(2026, 10, 2, 0, 0);

describe('shifts', () => {
  it('knows Shanghai is UTC+8', () => {
    expect(zoneOffsetMs('Asia/Shanghai', localDay)).toBe(8 * 3_600_000);
  });

  it('finds the day shift and the night shift across midnight', () => {
    expect(shiftAt(shifts, 'Asia/Shanghai', localDay + 3_600_000)).toEqual({
      name: 'day',
      start: localDay,
      end: localDay + 12 * 3_600_000,
    });
    // 02:00 local on Nov 3 belongs to the night shift that began 20:00 local on Nov 2.
    expect(shiftAt(shifts, 'Asia/Shanghai', localDay + 18 * 3_600_000)).toEqual({
      name: 'night',
      start: localDay + 12 * 3_600_000,
      end: localDay + 24 * 3_600_000,
    });
  });

  it('returns nothing between shifts of a one-shift plant', () => {
    expect(
      shiftAt([{ name: 'day', start: '08:00', end: '17:00' }], 'Asia/Shanghai', localDay + 10 * 3_600_000),
    ).toBeUndefined();
  });
});
