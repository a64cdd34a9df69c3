import { describe, expect, it } from 'vitest';
import { RecordBytes } from '../ingest/record-bytes.ts';
import { SeriesTable } from '../ingest/series.ts';
import { toLine, toLines } from '../sinks/line-protocol.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { parseLines } from './lines.ts';

const at = 1_700_000_000_123;
const s = (over: Partial<StoredSample>): StoredSample => ({
  device: 'lathe-01',
  tag: 'speed',
  type: 'number',
  value: 1.5,
  quality: 'good',
  statusCode: 0,
  sourceTime: at,
  receivedAt: at + 7,
  ...over,
});

const SAMPLES: StoredSample[] = [
  s({}),
  s({ tag: 'parts', type: 'integer', value: 65535, quality: 'uncertain', statusCode: 1083179008 }),
  s({ tag: 'alarm', type: 'boolean', value: true }),
  s({ tag: 'idle', type: 'boolean', value: false, quality: 'bad', statusCode: 0x80310000 }),
  ...['line 1\nline 2', 'a\rb\tc', 'say "合格"', 'C:\\recipe\\', '\\n stays', '🏭 𠀀𪚥', '', 'a, b = c'].map(
    (value, i) => s({ tag: `text${i}`, type: 'string', value }),
  ),
  s({ tag: 'temp', value: Number.NaN, quality: 'bad' }),
  s({ tag: 'temp2', value: Number.NEGATIVE_INFINITY, quality: 'bad' }),
  s({ device: 'press 2,a=b', tag: 'x\\y', value: -0.000123 }),
  s({ device: '_gateway', tag: 'attestation', type: 'string', value: '{"v":1,"sig":"a\\"b"}' }),
];

describe('line-protocol records', () => {
  it('parses back exactly what was written, every type, text and escape', () => {
    const lines = toLines(SAMPLES, { measurement: 'samples', gatewayId: 'gw-01' });
    expect(parseLines(Buffer.from(lines))).toEqual(SAMPLES);
  });

  it('writes a series line as the bytes of toLine, from parts escaped and encoded once', () => {
    const table = new SeriesTable('gw-01');
    table.declare(
      [],
      SAMPLES.map((x) => [x.device, x.tag, x.type]),
    );
    const record = new RecordBytes();
    for (const sample of SAMPLES) {
      const series = table.get(sample.device, sample.tag, sample.value);
      expect(series.type).toBe(sample.type);
      series.write(
        record,
        sample.value,
        sample.quality,
        sample.statusCode,
        sample.sourceTime,
        sample.receivedAt,
      );
      expect(record.take()).toEqual(
        Buffer.from(`${toLine(sample, { measurement: 'samples', gatewayId: 'gw-01' })}\n`),
      );
    }
  });
});
