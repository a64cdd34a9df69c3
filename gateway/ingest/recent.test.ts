import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../core/bytes.ts';
import { type SampleValue, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import {
  DEPTH,
  judge,
  type Reading,
  readRecentFile,
  recentFileBytes,
  restoreRecent,
  type StoredSeries,
  writeRecent,
} from './recent.ts';
import { type Series, SeriesTable } from './series.ts';

/** What writeRecent writes, as its text. */
function savedText(table: Iterable<Series>): string {
  const out = new ByteWriter(16);
  writeRecent(out, table);
  return out.bytes.subarray(0, out.length).toString();
}
const saved = (table: Iterable<Series>) => JSON.parse(savedText(table)) as StoredSeries[];

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
    restoreRecent(restored.table, saved(table));
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
    restoreRecent(restored.table, saved(table));
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
    restoreRecent(restored.table, saved(table));
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
    restoreRecent(restored.table, saved(table));
    expect(restored.check(r(1000, Number.POSITIVE_INFINITY, { quality: 'bad' }))).toBe('repeat');
    expect(restored.check(r(2000, 'NaN'), 'label')).toBe('repeat');
    expect(restored.check(r(2000, Number.NaN), 'label')).toBe('conflict');
    expect(restored.check(r(3000, false), 'alarm')).toBe('conflict');
    expect(savedText(restored.table)).toBe(savedText(table));
  });

  it('saves the JSON that JSON.stringify writes of the readings, every kind of value, in ring order', () => {
    const { table, check } = judging();
    const floats = [0.1, -2.5, 1 / 3, 0.1 + 0.2, 1e21, -1e-7, 123456789.125, 5e-324, -0, 2 ** 53 + 2, -17];
    floats.forEach((value, i) => {
      check(r(1_700_000_000_000 + i, value), 'level');
    });
    check(r(1000.5, Number.NaN, { quality: 'bad' }), 'flow');
    check(r(1001, Number.NEGATIVE_INFINITY, { quality: 'uncertain' }), 'flow');
    check(r(5, 'say "hi" \\ ü ✓ \u0001'), 'label', 'press "2"');
    check(r(6, false), 'alarm', 'press "2"');
    const expected: StoredSeries[] = [
      [
        'press',
        'level',
        1_700_000_000_010,
        floats
          .slice(-DEPTH)
          .map((value, i) => [1_700_000_000_000 + floats.length - DEPTH + i, value, 'good']),
      ],
      [
        'press',
        'flow',
        1001,
        [
          [1000.5, { n: 'NaN' }, 'bad'],
          [1001, { n: '-Infinity' }, 'uncertain'],
        ],
      ],
      ['press "2"', 'label', 5, [[5, 'say "hi" \\ ü ✓ \u0001', 'good']]],
      ['press "2"', 'alarm', 6, [[6, false, 'good']]],
    ];
    expect(savedText(table)).toBe(JSON.stringify(expected));
    expect(savedText(new SeriesTable('gw'))).toBe('[]');
  });

  it('reads its file back, and the file of earlier versions (the readings as a string of their JSON)', () => {
    const { table, check } = judging();
    check(r(1000, 1.5));
    check(r(2000, Number.NaN, { quality: 'bad' }), 'flow');
    const file = Buffer.from(recentFileBytes(42, table)).toString();
    expect(readRecentFile(file)).toEqual({ seq: 42, readings: saved(table) });
    const earlier = JSON.stringify({ seq: 42, readings: savedText(table) });
    expect(readRecentFile(earlier)).toEqual(readRecentFile(file));
    const restored = judging();
    restoreRecent(restored.table, readRecentFile(earlier).readings);
    expect(restored.check(r(1000, 1.5))).toBe('repeat');
    expect(restored.check(r(2000, Number.NaN, { quality: 'bad' }), 'flow')).toBe('repeat');
    expect(savedText(restored.table)).toBe(savedText(table));
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
