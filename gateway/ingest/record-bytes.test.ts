import { describe, expect, it } from 'vitest';
import { QUALITIES } from '../../core/model.ts';
import { toLines } from '../sinks/line-protocol.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { RecordBytes } from './record-bytes.ts';
import { SeriesTable } from './series.ts';

const GATEWAY = 'gw-东莞-01';

/** A record as ingest wrote it before: the lines as one string, then `Buffer.from`. */
const stringRecord = (samples: readonly StoredSample[]): Buffer =>
  Buffer.from(toLines(samples, { measurement: 'samples', gatewayId: GATEWAY }));

/** Where two buffers first differ (their length if one is the start of the other); -1 when equal. */
function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function bytesRecord(samples: readonly StoredSample[], record = new RecordBytes()): Buffer {
  const table = new SeriesTable(GATEWAY);
  table.declare(
    [],
    samples.map((x) => [x.device, x.tag, x.type]),
  );
  for (const x of samples)
    table
      .get(x.device, x.tag, x.value)
      .write(record, x.value, x.quality, x.statusCode, x.sourceTime, x.receivedAt);
  return record.take();
}

const at = 1_764_796_400_000;
const s = (over: Partial<StoredSample>): StoredSample => ({
  device: 'press-01',
  tag: 'speed',
  type: 'number',
  value: 23.47,
  quality: 'good',
  statusCode: 0,
  sourceTime: at,
  receivedAt: at + 12,
  ...over,
});

const TEXTS = [
  '合格',
  'say "ok" \\ done',
  '🏭 𠀀𪚥',
  'lone high \uD800',
  '\uDC00 lone low',
  'ends high \uD83C',
  'é',
  '',
  'line 1\nline 2\r\tend',
  'x'.repeat(70_000),
];

const VARIED: StoredSample[] = [
  s({}),
  s({ value: -0 }),
  s({ value: 1e21 }),
  s({ value: -1.7976931348623157e308 }),
  s({ value: 5e-324 }),
  s({ value: Number.NaN, quality: 'bad' }),
  s({ value: Number.POSITIVE_INFINITY, quality: 'bad' }),
  s({ value: Number.NEGATIVE_INFINITY, quality: 'bad', statusCode: 0x80000000 }),
  s({ tag: 'on', type: 'boolean', value: true }),
  s({ tag: 'off', type: 'boolean', value: false, quality: 'uncertain', statusCode: 0x40000000 }),
  s({ tag: 'count', type: 'integer', value: 65_535 }),
  s({ tag: 'count', type: 'integer', value: -42.9, sourceTime: at + 1 }),
  s({ tag: 'count', type: 'integer', value: 2 ** 53 + 2, sourceTime: at + 2 }),
  s({ tag: 'count', type: 'integer', value: 1e22, sourceTime: at + 3 }),
  ...TEXTS.map((value, i) => s({ tag: `text${i}`, type: 'string', value })),
  s({ device: '一号车间 A,b=c', tag: 'ténsion\\x', value: 0.1 + 0.2 }),
  s({ device: '🏭', tag: 'd\uD800', value: 7 }),
  s({ sourceTime: at + 0.999, receivedAt: at - 0.5 }),
  s({ sourceTime: -1_000.7, receivedAt: -0.2 }),
  s({ sourceTime: 0, receivedAt: 9_007_199_254_740_991 }),
  s({ sourceTime: 2 ** 53 + 2, receivedAt: 1e21 }),
];

/** A deterministic stream of ordinary samples: the workload's shape, every type and quality. */
function stream(n: number): StoredSample[] {
  let seed = 12_345;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const out: StoredSample[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const quality = QUALITIES[Math.floor(next() * 3)] ?? 'good';
    const base = {
      device: `dev-${i % 100}`,
      tag: `t${kind}-${i % 10}`,
      quality,
      statusCode: quality === 'good' ? 0 : Math.floor(next() * 2 ** 32),
      sourceTime: at + i,
      receivedAt: at + i + Math.floor(next() * 1000),
    };
    if (kind === 0) out.push({ ...base, type: 'number', value: Math.round(next() * 1e6) / 100 });
    else if (kind === 1) out.push({ ...base, type: 'integer', value: Math.floor(next() * 1e9) - 5e8 });
    else if (kind === 2) out.push({ ...base, type: 'boolean', value: next() < 0.5 });
    else out.push({ ...base, type: 'string', value: next() < 0.5 ? `状态${i}` : `run ${i}` });
  }
  return out;
}

describe('records written as bytes', () => {
  it('are byte for byte what Buffer.from of the lines as a string gave', () => {
    expect(firstDifference(bytesRecord(VARIED), stringRecord(VARIED))).toBe(-1);
    const many = stream(20_000); // grows past the first buffer several times
    expect(firstDifference(bytesRecord(many), stringRecord(many))).toBe(-1);
  });

  it('start over after each record, also after one larger than the buffer keeps', () => {
    const record = new RecordBytes();
    const big = [s({ tag: 'blob', type: 'string', value: 'é'.repeat(3 * 1024 * 1024) })];
    const small = stream(50);
    expect(firstDifference(bytesRecord(small, record), stringRecord(small))).toBe(-1);
    expect(firstDifference(bytesRecord(big, record), stringRecord(big))).toBe(-1);
    expect(firstDifference(bytesRecord(small, record), stringRecord(small))).toBe(-1);
    expect(record.length).toBe(0);
  });

  it('hand out buffers of their own: a later record does not change an earlier one', () => {
    const record = new RecordBytes();
    const first = bytesRecord(stream(10), record);
    const copy = Buffer.from(first);
    bytesRecord(VARIED, record);
    expect(firstDifference(first, copy)).toBe(-1);
  });

  it('write integers as a template literal writes Math.trunc of them', () => {
    const values = [
      0,
      -0,
      0.5,
      -0.5,
      1,
      -1,
      9,
      10,
      99,
      100,
      100_000_001,
      -1_700_000_000_005,
      99_999_999,
      1_764_796_400_123,
      -1_764_796_400_123.9,
      2 ** 31,
      2 ** 32 + 0.7,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2 ** 53,
      2 ** 60,
      1e21,
      -1e21,
      1e300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
    ];
    for (const value of values) {
      const record = new RecordBytes();
      record.integer(value);
      expect(record.take().toString('latin1')).toBe(`${Math.trunc(value)}`);
    }
  });

  it("give the digest a float's text as written in the line, and nothing for any other value", () => {
    const table = new SeriesTable(GATEWAY);
    table.declare(
      [],
      [
        ['press-01', 'speed', 'number'],
        ['press-01', 'count', 'integer'],
        ['press-01', 'state', 'string'],
        ['press-01', 'on', 'boolean'],
      ],
    );
    const write = (tag: string, value: StoredSample['value']) => {
      const float = table.get('press-01', tag, value).write(new RecordBytes(), value, 'good', 0, at, at);
      return float && Buffer.from(float.bytes.subarray(0, float.length)).toString('latin1');
    };
    expect(write('speed', 23.47)).toBe('23.47');
    expect(write('speed', -1e-6)).toBe('-0.000001');
    expect(write('speed', 1e21)).toBe('1e+21');
    expect(write('speed', 0.1 + 0.2)).toBe('0.30000000000000004');
    expect(write('speed', 5)).toBe('5');
    expect(write('speed', Number.NaN)).toBeUndefined();
    expect(write('speed', Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(write('count', 7)).toBeUndefined();
    expect(write('state', 'run')).toBeUndefined();
    expect(write('on', true)).toBeUndefined();
  });
});
