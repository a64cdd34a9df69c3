import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../../test/services/influxdb.ts';
import { freePort } from '../../../test/services/ports.ts';
import type { StoredSample } from '../sink.ts';
import { influxSinkSchema } from './schema.ts';
import { classify, InfluxSink } from './sink.ts';

const t0 = 1_700_000_000_000;
const sample = (over: Partial<StoredSample>): StoredSample => ({
  device: 'lathe-01',
  tag: 'spindle_speed',
  value: 1,
  type: 'number',
  quality: 'good',
  statusCode: 0,
  sourceTime: t0,
  receivedAt: t0 + 5,
  ...over,
});

function sinkFor(influx: InfluxDB, extra: Record<string, unknown> = {}): InfluxSink {
  const config = influxSinkSchema.parse({
    name: 'influx',
    type: 'influxdb',
    version: 1,
    url: influx.url,
    database: 'plant',
    ...extra,
  });
  return new InfluxSink(config, 'gw-01');
}

describe('InfluxDB outcome classification', () => {
  it.each([
    [204, '', null, { kind: 'ok' }],
    [413, 'Request Entity Too Large', null, { kind: 'split', reason: 'HTTP 413: Request Entity Too Large' }],
    [400, '{"error":"partial write: field type conflict dropped=2"}', null, { kind: 'drop', rejected: 2 }],
    [400, '{"error":"unable to parse"}', null, { kind: 'drop', rejected: 10 }],
    [422, 'unprocessable', null, { kind: 'drop', rejected: 10 }],
    [401, 'unauthorized', null, { kind: 'auth' }],
    [403, 'forbidden', null, { kind: 'auth' }],
    [429, 'slow down', '7', { kind: 'retry', retryAfterMs: 7000 }],
    [503, 'unavailable', null, { kind: 'retry' }],
    [500, 'oops', null, { kind: 'retry' }],
  ])('HTTP %i → %o', (status, body, retryAfter, expected) => {
    expect(classify(status, body, retryAfter, 10)).toMatchObject(expected);
  });

  it('reads an HTTP-date Retry-After', () => {
    const outcome = classify(503, '', new Date(Date.now() + 60_000).toUTCString(), 1);
    expect(outcome.kind).toBe('retry');
    expect((outcome as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(58_000);
  });
});

describe.skipIf(!influxdBinary.available)('InfluxDB sink against InfluxDB 1.x', () => {
  let influx: InfluxDB;
  beforeAll(async () => {
    influx = await startInfluxDB();
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('writes every type exactly as documented, gzip on, and rewriting a sample changes nothing', async () => {
    // On loopback the default is no gzip (gzip.ts): asked for here, so the compressed path is tested.
    const sink = sinkFor(influx, { gzip: true });
    await sink.prepare();
    const batch = [
      sample({ tag: 'spindle_speed', value: 1234.5 }),
      sample({ tag: 'parts', type: 'integer', value: 65535 }),
      sample({ tag: 'alarm', type: 'boolean', value: true }),
      sample({ tag: 'state', type: 'string', value: '运行 "run"' }),
      sample({ tag: 'temp', value: 0, quality: 'bad', statusCode: 2150825984 }),
    ];
    expect(await sink.write(batch)).toEqual({ kind: 'ok' });
    expect(await sink.write(batch)).toEqual({ kind: 'ok' });
    const result = await influx.query('SELECT * FROM samples GROUP BY *', 'plant');
    const series = result.results[0]?.series ?? [];
    const rows = Object.fromEntries(
      series.map((s) => [
        s.tags?.tag_id,
        Object.fromEntries(s.columns.map((c, i) => [c, s.values[0]?.[i]]).filter(([, v]) => v !== null)),
      ]),
    );
    expect(series.every((s) => s.values.length === 1)).toBe(true);
    expect(rows).toEqual({
      spindle_speed: { time: t0, value: 1234.5, received: t0 + 5 },
      parts: { time: t0, value_int: 65535, received: t0 + 5 },
      alarm: { time: t0, value_bool: true, received: t0 + 5 },
      state: { time: t0, value_str: '运行 "run"', received: t0 + 5 },
      temp: { time: t0, value: 0, received: t0 + 5, status: 2150825984 },
    });
    expect(series.find((s) => s.tags?.tag_id === 'temp')?.tags).toEqual({
      device: 'lathe-01',
      gateway: 'gw-01',
      quality: 'bad',
      tag_id: 'temp',
    });
  });

  it('reports a partial write (field type conflict) as a drop of exactly the refused points', async () => {
    const sink = sinkFor(influx, { database: 'conflict' });
    await sink.prepare();
    await fetch(`${influx.url}/write?db=conflict&precision=ms`, {
      method: 'POST',
      body: `samples,device=x,gateway=gw-01,quality=good,tag_id=a value_int=1.5 ${t0}`,
    });
    const outcome = await sink.write([
      sample({ device: 'y', tag: 'a', type: 'integer', value: 3 }),
      sample({ device: 'y', tag: 'b', value: 2 }),
    ]);
    expect(outcome).toMatchObject({ kind: 'drop', rejected: 1 });
    const kept = await influx.query("SELECT value FROM samples WHERE tag_id='b'", 'conflict');
    expect(kept.results[0]?.series?.[0]?.values).toEqual([[t0, 2]]);
  });

  it('keeps NaN and infinite floats as their text in value_raw, beside the rest', async () => {
    const sink = sinkFor(influx, { database: 'nan' });
    await sink.prepare();
    const outcome = await sink.write([
      sample({ tag: 'a', value: Number.NaN, quality: 'bad' }),
      sample({ tag: 'b', value: 7 }),
      sample({ tag: 'c', value: Number.NEGATIVE_INFINITY, quality: 'bad' }),
    ]);
    expect(outcome).toEqual({ kind: 'ok' });
    const rows = await influx.query('SELECT value, value_raw FROM samples GROUP BY tag_id', 'nan');
    expect(rows.results[0]?.series?.map((s) => [s.tags?.tag_id, s.values[0]?.slice(1)])).toEqual([
      ['a', [null, 'NaN']],
      ['b', [7, null]],
      ['c', [null, '-Infinity']],
    ]);
  });

  it('creates the database when a write finds it missing: down at start, or dropped since', async () => {
    const sink = sinkFor(influx, { database: 'late' }); // prepare() never ran: the store was down
    expect(await sink.write([sample({ value: 1 })])).toEqual({ kind: 'ok' });
    await influx.query('DROP DATABASE late');
    expect(await sink.write([sample({ value: 2, sourceTime: t0 + 1 })])).toEqual({ kind: 'ok' });
    expect((await influx.query('SELECT value FROM samples', 'late')).results[0]?.series?.[0]?.values).toEqual(
      [[t0 + 1, 2]],
    );
    const readOnly = sinkFor(influx, { database: 'absent', createDatabase: false });
    expect(await readOnly.write([sample({})])).toEqual({
      kind: 'retry',
      reason: 'database absent not found (createDatabase is off)',
    });
  });

  it('asks to retry while the server is down', async () => {
    const closed = await freePort();
    const sink = sinkFor(influx, { url: `http://127.0.0.1:${closed}`, timeoutMs: 2000 });
    expect(await sink.write([sample({})])).toMatchObject({ kind: 'retry', reason: 'network: ECONNREFUSED' });
  });
});

describe.skipIf(!influxdBinary.available)('InfluxDB sink against a strict InfluxDB 1.x', () => {
  let influx: InfluxDB;
  beforeAll(async () => {
    influx = await startInfluxDB({ authEnabled: true, maxBodySize: 400 });
    await influx.query("CREATE USER admin WITH PASSWORD 'right' WITH ALL PRIVILEGES");
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('says split when the body is too large, and auth when the password is wrong', async () => {
    const good = sinkFor(influx, { username: 'admin', password: 'right', gzip: false });
    await good.prepare();
    const big = Array.from({ length: 20 }, (_, i) => sample({ tag: `t${i}` }));
    expect(await good.write(big)).toMatchObject({ kind: 'split' });
    expect(await good.write(big.slice(0, 2))).toEqual({ kind: 'ok' });
    const wrong = sinkFor(influx, { username: 'admin', password: 'wrong', createDatabase: false });
    expect(await wrong.write([sample({})])).toMatchObject({ kind: 'auth' });
  });
});
