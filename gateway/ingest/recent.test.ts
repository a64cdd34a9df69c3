import { describe, expect, it } from 'vitest';
import { DEPTH, type Reading, RecentReadings } from './recent.ts';

const r = (sourceTime: number, value: Reading['value'], over: Partial<Reading> = {}): Reading => ({
  device: 'press',
  tag: 'count',
  sourceTime,
  value,
  quality: 'good',
  ...over,
});

describe('recent readings', () => {
  it('tells a new reading, a repeat and a conflict apart; the first reading of a time wins', () => {
    const recent = new RecentReadings();
    expect(recent.check(r(1000, 5))).toBe('new');
    expect(recent.check(r(1000, 5))).toBe('repeat'); // a cyclic read of an unchanged value
    expect(recent.check(r(1000, 6))).toBe('conflict'); // twice a second, whole-second timestamps
    expect(recent.check(r(1000, 5, { quality: 'bad' }))).toBe('conflict');
    expect(recent.check(r(2000, 6))).toBe('new');
    expect(recent.check(r(1000, 6))).toBe('conflict'); // still the first value that counts
    expect(recent.check(r(1000, 5, { tag: 'other' }))).toBe('new');
    expect(recent.check(r(3000, Number.NaN))).toBe('new');
    expect(recent.check(r(3000, Number.NaN))).toBe('repeat');
  });

  it(`knows a resend that comes after newer readings, up to ${DEPTH} readings back`, () => {
    const recent = new RecentReadings();
    for (let t = 1; t <= DEPTH + 2; t++) expect(recent.check(r(t * 1000, t))).toBe('new');
    expect(recent.check(r(3000, 3))).toBe('repeat');
    expect(recent.check(r(2000, 2))).toBe('new'); // beyond the depth: taken as new
  });

  it('takes a resent reading at or before the latest time for a repeat, however far back; not a new one', () => {
    const recent = new RecentReadings();
    for (let t = 1; t <= 100; t++) expect(recent.check(r(t * 1000, t))).toBe('new');
    expect(recent.check(r(5000, 5, { resent: true }))).toBe('repeat'); // beyond the depth, resent
    expect(recent.check(r(100_000, 100, { resent: true }))).toBe('repeat');
    expect(recent.check(r(101_000, 101, { resent: true }))).toBe('new'); // sent before, never taken in
    expect(recent.check(r(6000, 6))).toBe('new'); // not resent: a late reading the store has not got
    const restored = RecentReadings.parse(recent.serialize());
    expect(restored.check(r(7000, 7, { resent: true }))).toBe('repeat');
    expect(restored.check(r(102_000, 102, { resent: true }))).toBe('new');
  });

  it('survives a restart through its saved form, NaN and infinities included', () => {
    const recent = new RecentReadings();
    recent.check(r(1000, Number.POSITIVE_INFINITY, { quality: 'bad' }));
    recent.check(r(2000, 'NaN', { tag: 'label' })); // a string that reads like a number stays a string
    recent.check(r(3000, true, { tag: 'alarm' }));
    const restored = RecentReadings.parse(recent.serialize());
    expect(restored.check(r(1000, Number.POSITIVE_INFINITY, { quality: 'bad' }))).toBe('repeat');
    expect(restored.check(r(2000, 'NaN', { tag: 'label' }))).toBe('repeat');
    expect(restored.check(r(2000, Number.NaN, { tag: 'label' }))).toBe('conflict');
    expect(restored.check(r(3000, false, { tag: 'alarm' }))).toBe('conflict');
    expect(restored.serialize()).toBe(recent.serialize());
  });
});
