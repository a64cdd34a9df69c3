// One behavioural suite for every store: what is written through its sink reads back the same way.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../test/services/influxdb.ts';
import { canonicalPoint } from '../attest/canonical.ts';
import { EmbeddedStore } from '../sinks/embedded/store.ts';
import { InfluxReader } from '../sinks/influxdb/reader.ts';
import { influxSinkSchema } from '../sinks/influxdb/schema.ts';
import { InfluxSink } from '../sinks/influxdb/sink.ts';
import type { Sink, StoredSample } from '../sinks/sink.ts';
import { influxV1Store } from '../sinks/testing.ts';
import type { SampleReader } from './reader.ts';

const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const s = (device: string, tag: string, at: number, over: Partial<StoredSample> = {}): StoredSample => ({
  device,
  tag,
  value: at,
  type: 'number',
  quality: 'good',
  statusCode: 0,
  sourceTime: t0 + at,
  receivedAt: t0 + at + 3,
  ...over,
});

const DATA: StoredSample[] = [
  s('lathe-01', 'speed', 0, { value: 1200.5 }),
  s('lathe-01', 'speed', 1000, { value: 1201 }),
  s('lathe-01', 'parts', 1000, { type: 'integer', value: 65535 }),
  s('lathe-01', 'alarm', 2000, { type: 'boolean', value: true }),
  s('lathe-02', 'speed', 1000, { quality: 'bad', statusCode: 2150891520, value: 0 }),
  s('lathe-02', 'speed', 3000, { quality: 'uncertain', statusCode: 1083179008, value: 5 }),
  s('meter-01', 'state', 5000, { type: 'string', value: '运行' }),
  s('meter-01', 'kwh', 60_000, { value: 12.25 }),
  // Text that line protocol must carry exactly: every store gives back what was signed.
  ...[
    'line 1\nline 2',
    'a\rb',
    'tab\there',
    'say "合格"',
    'C:\\plc\\recipe\\',
    'ends with a backslash \\',
    '\\n is not a newline',
    'emoji 🏭⚙️',
    '4-byte CJK 𠀀𪚥𫝀',
    '',
  ].map((value, i) => s('hmi-01', `text${i}`, 6000, { type: 'string', value })),
  // Numbers no store holds as numbers: bad readings, kept as their text.
  s('probe-01', 'temp', 7000, { value: Number.NaN, quality: 'bad' }),
  s('probe-01', 'temp', 8000, { value: Number.POSITIVE_INFINITY, quality: 'bad' }),
  s('probe-01', 'temp', 9000, { value: Number.NEGATIVE_INFINITY, quality: 'bad', statusCode: 2150891520 }),
];

/** A summary row: counts by quality (0 unless given) and first and last source time, in ms after t0. */
function summary(
  device: string,
  tag: string,
  counts: Partial<Record<'good' | 'uncertain' | 'bad', number>>,
  first: number,
  last: number,
) {
  return {
    device,
    tag,
    counts: { good: 0, uncertain: 0, bad: 0, ...counts },
    first: t0 + first,
    last: t0 + last,
  };
}

/** Every item of an async iterable, in order. */
async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function readerSuite(
  name: string,
  open: () => Promise<{ sink: Sink; reader: SampleReader; stop(): Promise<void> }>,
): void {
  describe(name, () => {
    let store: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      store = await open();
      expect(await store.sink.write(DATA)).toEqual({ kind: 'ok' });
      expect(await store.sink.write(DATA.slice(0, 3))).toEqual({ kind: 'ok' }); // a replay changes nothing
    });
    afterAll(async () => {
      await store?.stop();
    });

    it('summarizes counts by quality and the time span per device and tag, end exclusive', async () => {
      expect(await store.reader.summarize({ from: t0, to: t0 + 60_000 })).toEqual(
        [
          summary('lathe-01', 'alarm', { good: 1 }, 2000, 2000),
          summary('lathe-01', 'parts', { good: 1 }, 1000, 1000),
          summary('lathe-01', 'speed', { good: 2 }, 0, 1000),
          summary('lathe-02', 'speed', { uncertain: 1, bad: 1 }, 1000, 3000),
          summary('meter-01', 'state', { good: 1 }, 5000, 5000),
          ...Array.from({ length: 10 }, (_, i) =>
            summary('hmi-01', `text${i}`, { good: 1 }, 6000, 6000),
          ).sort((a, b) => a.tag.localeCompare(b.tag)),
          summary('probe-01', 'temp', { bad: 3 }, 7000, 9000),
        ].sort((a, b) => a.device.localeCompare(b.device) || a.tag.localeCompare(b.tag)),
      );
    });

    it('returns every sample exactly, typed, in time order', async () => {
      const out = await all(store.reader.samples({ from: t0, to: t0 + 61_000 }));
      const expected = [...DATA].sort(
        (a, b) =>
          a.sourceTime - b.sourceTime || a.device.localeCompare(b.device) || a.tag.localeCompare(b.tag),
      );
      expect(out).toEqual(expected);
      // What a verifier hashes: the same canonical points as the gateway signed.
      expect(out.map(canonicalPoint)).toEqual(expected.map(canonicalPoint));
    });

    it('filters by device and tag', async () => {
      const out = await all(
        store.reader.samples({ from: t0, to: t0 + 61_000, device: 'lathe-02', tag: 'speed' }),
      );
      expect(out.map((x) => x.value)).toEqual([0, 5]);
    });
  });
}

readerSuite('embedded store', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-store-'));
  const store = new EmbeddedStore('embedded', path.join(dir, 'samples.db'));
  return { sink: store, reader: store, stop: () => store.close() };
});

describe.skipIf(!influxdBinary.available)('with InfluxDB', () => {
  let influx: InfluxDB;
  beforeAll(async () => {
    influx = await startInfluxDB();
  });
  afterAll(async () => {
    await influx?.stop();
  });
  readerSuite('InfluxDB 1.x store', async () => ({
    ...(await influxV1Store(influx.url, 'plant')),
    stop: async () => {},
  }));

  it("reads one gateway's points of a database two gateways write into", async () => {
    const { sink, reader } = await influxV1Store(influx.url, 'site');
    const other = new InfluxSink(
      influxSinkSchema.parse({
        name: 'influx',
        type: 'influxdb',
        version: 1,
        url: influx.url,
        database: 'site',
      }),
      'gw-02',
    );
    // Both name their machine lathe-01; gw-02 also has a meter.
    expect(await sink.write([s('lathe-01', 'speed', 0, { value: 1 })])).toEqual({ kind: 'ok' });
    expect(
      await other.write([s('lathe-01', 'speed', 0, { value: 2 }), s('meter-01', 'kw', 1000, { value: 3 })]),
    ).toEqual({ kind: 'ok' });
    const window = { from: t0, to: t0 + 60_000 };
    expect(
      (await reader.summarize({ ...window, gateway: 'gw-01' })).map((x) => [x.device, x.counts.good]),
    ).toEqual([['lathe-01', 1]]);
    expect(
      (await reader.summarize({ ...window, gateway: 'gw-02' })).map((x) => [x.device, x.counts.good]),
    ).toEqual([
      ['lathe-01', 1],
      ['meter-01', 1],
    ]);
    // Unscoped, a series of each gateway: two points of lathe-01 at one time.
    expect((await all(reader.samples(window))).map((x) => x.value)).toEqual([1, 2, 3]);
    expect((await all(reader.samples({ ...window, gateway: 'gw-02' }))).map((x) => x.value)).toEqual([2, 3]);
    // A reader opened for one gateway reads only its points.
    const scoped = new InfluxReader({ url: influx.url, database: 'site', gateway: 'gw-01' });
    expect((await all(scoped.samples(window))).map((x) => x.value)).toEqual([1]);
  });
});
