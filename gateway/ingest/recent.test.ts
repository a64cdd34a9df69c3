import { describe, expect, it } from 'vitest';
import { type SampleValue, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import { DEPTH, judge, type Reading, restoreRecent, serializeRecent } from './recent.ts';
import { SeriesTable } from './series.ts';

const r = (sourceTime: number, value: SampleValue, over: Partial<Reading> = {}): Reading => ({
  sourceTime,
  value,
  quality: 'good',
  ...over,
});

/** Judges readings of one tag of a table, by device and tag. */
function judging(table = new SeriesTable('gw')) {
  return {
    table,
    check: (reading: Reading, tag = 'count', device = 'press') =>
      judge(table.get(device, tag, reading.value), reading),
  };
}

describe('recent readings', () => {
  it('tells a new reading, a repeat and a conflict apart; the first reading of a time wins', () => {
    const { check } = judging();
    expect(check(r(1000, 5))).toBe('new');
    expect(check(r(1000, 5))).toBe('repeat'); // a cyclic read of an unchanged value
    expect(check(r(1000, 6))).toBe('conflict'); // twice a second, whole-second timestamps
    expect(check(r(1000, 5, { quality: 'bad' }))).toBe('conflict');
    expect(check(r(2000, 6))).toBe('new');
    expect(check(r(1000, 6))).toBe('conflict'); // still the first value that counts
    expect(check(r(1000, 5), 'other')).toBe('new');
    expect(check(r(3000, Number.NaN))).toBe('new');
    expect(check(r(3000, Number.NaN))).toBe('repeat');
  });

  it(`knows a resend that comes after newer readings, up to ${DEPTH} readings back`, () => {
    const { check } = judging();
    for (let t = 1; t <= DEPTH + 2; t++) expect(check(r(t * 1000, t))).toBe('new');
    expect(check(r(3000, 3))).toBe('repeat');
    expect(check(r(2000, 2))).toBe('new'); // beyond the depth: taken as new
  });

  it('takes a resent reading at or before the latest time for a repeat, however far back; not a new one', () => {
    const { table, check } = judging();
    for (let t = 1; t <= 100; t++) expect(check(r(t * 1000, t))).toBe('new');
    expect(check(r(5000, 5, { resent: true }))).toBe('repeat'); // beyond the depth, resent
    expect(check(r(100_000, 100, { resent: true }))).toBe('repeat');
    expect(check(r(101_000, 101, { resent: true }))).toBe('new'); // sent before, never taken in
    expect(check(r(6000, 6))).toBe('new'); // not resent: a late reading the store has not got
    const restored = judging();
    restoreRecent(restored.table, serializeRecent(table));
    expect(restored.check(r(7000, 7, { resent: true }))).toBe('repeat');
    expect(restored.check(r(102_000, 102, { resent: true }))).toBe('new');
  });

  it("a link-lost mark (the gateway's time) does not make the source's older resends look taken in", () => {
    const { table, check } = judging();
    for (let t = 1; t <= 10; t++) expect(check(r(t * 1000, t))).toBe('new');
    // The link drops at the gateway's 60 s: the last value is marked stale; the broker then resends
    // the messages it had no acknowledgement for, some of which never reached the gateway.
    const mark = { quality: 'bad' as const, statusCode: STATUS_NO_COMMUNICATION };
    expect(check(r(60_000, 10, mark))).toBe('new');
    expect(check(r(10_000, 10, { resent: true }))).toBe('repeat'); // was taken in
    expect(check(r(11_000, 11, { resent: true }))).toBe('new'); // was in flight, never taken in
    expect(check(r(11_000, 11, { resent: true }))).toBe('repeat');
    // The same after a restart from the saved form, and for a tag whose first reading was a mark.
    check(r(60_000, 0, mark), 'idle');
    const restored = judging();
    restoreRecent(restored.table, serializeRecent(table));
    expect(restored.check(r(12_000, 12, { resent: true }))).toBe('new');
    expect(restored.check(r(11_000, 11, { resent: true }))).toBe('repeat');
    expect(restored.check(r(5000, 5, { resent: true }), 'idle')).toBe('new');
  });

  it("a source reading at a link-lost mark's own time is a conflict, though later than any source time", () => {
    const { table, check } = judging();
    const mark = { quality: 'bad' as const, statusCode: STATUS_NO_COMMUNICATION };
    expect(check(r(1000, 1))).toBe('new');
    expect(check(r(60_000, 1, mark))).toBe('new');
    expect(check(r(60_000, 2))).toBe('conflict'); // the store holds one point at 60 s: the mark's
    expect(check(r(60_000, 1, mark))).toBe('repeat');
    expect(check(r(61_000, 2))).toBe('new');
    const restored = judging();
    restoreRecent(restored.table, serializeRecent(table));
    expect(restored.check(r(60_000, 2))).toBe('conflict');
    expect(restored.check(r(61_000, 2))).toBe('repeat');
    expect(restored.check(r(62_000, 3))).toBe('new');
  });

  it('survives a restart through its saved form, NaN and infinities included', () => {
    const { table, check } = judging();
    check(r(1000, Number.POSITIVE_INFINITY, { quality: 'bad' }));
    check(r(2000, 'NaN'), 'label'); // a string that reads like a number stays a string
    check(r(3000, true), 'alarm');
    const restored = judging();
    restoreRecent(restored.table, serializeRecent(table));
    expect(restored.check(r(1000, Number.POSITIVE_INFINITY, { quality: 'bad' }))).toBe('repeat');
    expect(restored.check(r(2000, 'NaN'), 'label')).toBe('repeat');
    expect(restored.check(r(2000, Number.NaN), 'label')).toBe('conflict');
    expect(restored.check(r(3000, false), 'alarm')).toBe('conflict');
    expect(serializeRecent(restored.table)).toBe(serializeRecent(table));
  });

  it("keeps a tag's readings when its type is declared after they were seen (read back from the buffer at start)", () => {
    const table = new SeriesTable('gw');
    expect(judge(table.get('press', 'count', 7), r(1000, 7))).toBe('new'); // typed from the value: number
    table.declare([], [['press', 'count', 'integer']]);
    const series = table.get('press', 'count', 7);
    expect(series.type).toBe('integer');
    expect(judge(series, r(1000, 7))).toBe('repeat');
    expect(judge(series, r(500, 6, { resent: true }))).toBe('repeat');
  });
});
