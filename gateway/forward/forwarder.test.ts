import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { DurableLog } from '../buffer/log.ts';
import { encodeHeader, HEADER_BYTES } from '../buffer/record.ts';
import { encodeSamples } from '../buffer/sample-codec.ts';
import { GatewayMetrics } from '../metrics.ts';
import { EmbeddedStore } from '../sinks/embedded/store.ts';
import { toLines } from '../sinks/line-protocol.ts';
import { Batch, type Sink, type StoredSample, type WriteOutcome } from '../sinks/sink.ts';
import { DEFAULT_FORWARDER_OPTIONS, type ForwarderOptions, SinkForwarder } from './forwarder.ts';

/** A sink whose answers the test scripts; it records what it was given. */
class ScriptedSink implements Sink {
  readonly writes: StoredSample[][] = [];
  constructor(
    readonly name: string,
    private readonly answer: (batch: readonly StoredSample[], call: number) => WriteOutcome,
  ) {}
  async write(batch: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const samples = batch instanceof Batch ? batch.samples() : batch;
    const outcome = this.answer(samples, this.writes.length);
    this.writes.push([...samples]);
    return outcome;
  }
  async close(): Promise<void> {}
}

const sample = (i: number, time = 1_700_000_000_000 + i): StoredSample => ({
  device: 'd',
  tag: `t${i}`,
  type: 'integer',
  value: i,
  quality: 'good',
  statusCode: 0,
  sourceTime: time,
  receivedAt: time,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openLog = (dir: string, now: () => number = Date.now, segmentBytes = 1024 * 1024) =>
  DurableLog.open({
    dir,
    maxBytes: 64 * 1024 * 1024,
    maxAgeMs: 0,
    segmentBytes,
    fsync: { mode: 'never' },
    whenFull: 'drop-oldest',
    log: silentLogger,
    now,
  });

async function setup(
  sink: Sink,
  options: Partial<ForwarderOptions> = {},
  now: () => number = Date.now,
  segmentBytes?: number,
) {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-fwd-'));
  const log = await openLog(dir, now, segmentBytes);
  const metrics = new GatewayMetrics(new Registry());
  const forwarder = new SinkForwarder(
    log,
    sink,
    {
      ...DEFAULT_FORWARDER_OPTIONS,
      gatewayId: 'gw-test',
      retryInitialMs: 10,
      retryMaxMs: 40,
      authRetryMs: 30,
      flushIntervalMs: 20,
      ...options,
    },
    metrics,
    silentLogger,
    now,
  );
  cleanups.push(async () => {
    await forwarder.stop();
    await log.close();
  });
  const append = async (samples: StoredSample[]) => {
    await log.append(
      Buffer.from(toLines(samples, { measurement: 'samples', gatewayId: 'gw-test' })),
      samples.length,
    );
    forwarder.notify(samples.length);
  };
  return { dir, log, metrics, forwarder, append };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const counter = async (
  metrics: GatewayMetrics,
  name: 'sinkSamples' | 'sinkDropped' | 'sinkErrors',
  labels: Record<string, string>,
) =>
  (await metrics[name].get()).values.find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  )?.value ?? 0;

describe('sink forwarder', () => {
  it('delivers every sample into the embedded store and frees the log', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-fwd-store-'));
    const store = new EmbeddedStore('embedded', path.join(dir, 's.db'));
    const { log, forwarder, append } = await setup(store);
    await forwarder.start();
    await append([sample(1), sample(2)]);
    await append([sample(3)]);
    await until(() => log.stats().records === 0);
    const rows: StoredSample[] = [];
    for await (const s of store.samples({ from: 0, to: Number.MAX_SAFE_INTEGER })) rows.push(s);
    expect(rows).toEqual([sample(1), sample(2), sample(3)]);
    expect(log.position('embedded')).toBe(2);
    await store.close();
  });

  it('sends the records an earlier version wrote (compact JSON) after an upgrade, then the new ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-fwd-upgrade-'));
    // The buffer a gateway before version 2 left: one segment of JSON records.
    const old = [[sample(1), sample(2)], [sample(3, 1_700_000_000_500)]];
    const bytes = old.flatMap((samples, seq) => {
      const payload = encodeSamples(samples);
      return [encodeHeader({ seq, count: samples.length, time: 0 }, payload, 'json'), payload];
    });
    await mkdir(path.join(dir, 'segments'), { recursive: true });
    await writeFile(path.join(dir, 'segments', '00000000000000000000.seg'), Buffer.concat(bytes));
    const store = new EmbeddedStore('embedded', path.join(dir, 's.db'));
    const log = await openLog(dir);
    const forwarder = new SinkForwarder(
      log,
      store,
      { ...DEFAULT_FORWARDER_OPTIONS, gatewayId: 'gw-test', flushIntervalMs: 20 },
      new GatewayMetrics(new Registry()),
      silentLogger,
    );
    cleanups.push(async () => {
      await forwarder.stop();
      await log.close();
    });
    await forwarder.start();
    await log.append(Buffer.from(toLines([sample(4)], { measurement: 'samples', gatewayId: 'gw-test' })), 1);
    forwarder.notify(1);
    await until(() => log.position('embedded') === 3);
    const rows: StoredSample[] = [];
    for await (const s of store.samples({ from: 0, to: Number.MAX_SAFE_INTEGER })) rows.push(s);
    expect(rows).toEqual([sample(1), sample(2), sample(4), sample(3, 1_700_000_000_500)]);
    await store.close();
  });

  it('shows the backlog in its gauges during an outage, not only after it', async () => {
    const sink = new ScriptedSink('down', () => ({ kind: 'retry', reason: 'network: ECONNREFUSED' }));
    const { metrics, forwarder, append } = await setup(sink);
    await forwarder.start();
    await append([sample(1), sample(2), sample(3)]);
    const gauge = async () => (await metrics.sinkBacklogSamples.get()).values[0]?.value;
    await until(async () => (await gauge()) === 3);
    await append([sample(4)]);
    await until(async () => (await gauge()) === 4);
    expect(sink.writes.length).toBeGreaterThan(1); // still failing, still measured
    const age = (await metrics.sinkBacklogAgeSeconds.get()).values[0]?.value;
    expect(age).toBeGreaterThanOrEqual(0);
  });

  it('retries a failing sink with backoff and loses nothing, in order', async () => {
    const sink = new ScriptedSink('flaky', (_b, call) =>
      call < 3 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' },
    );
    const { log, metrics, forwarder, append } = await setup(sink);
    await append([sample(1)]);
    await append([sample(2), sample(3)]);
    await forwarder.start();
    await until(() => log.position('flaky') === 2);
    expect(sink.writes.slice(3).flat()).toEqual([sample(1), sample(2), sample(3)]);
    expect(await counter(metrics, 'sinkErrors', { sink: 'flaky', kind: 'retry' })).toBe(3);
    expect(await counter(metrics, 'sinkSamples', { sink: 'flaky' })).toBe(3);
  });

  it('sends every record of a backlog spread over segments: a batch never leaves one behind at a segment end', async () => {
    const records = [[1, 2, 3], [4, 5], [6], [7]].map((ids) => ids.map((i) => sample(i)));
    const size = (samples: StoredSample[]) =>
      HEADER_BYTES + Buffer.byteLength(toLines(samples, { measurement: 'samples', gatewayId: 'gw-test' }));
    // Two records a segment: [1 2 3][4 5] | [6][7]. A batch of at most 4 samples takes [1 2 3]; [4 5]
    // does not fit, so the batch ends there, although [6] at the start of the next segment would fit.
    const sink = new ScriptedSink('s', () => ({ kind: 'ok' }));
    const { log, metrics, forwarder, append } = await setup(
      sink,
      { batchMaxSamples: 4 },
      Date.now,
      size(records[0] as StoredSample[]) + size(records[1] as StoredSample[]),
    );
    for (const r of records) await append(r);
    expect(log.stats().segments).toBe(2);
    await forwarder.start();
    await until(() => log.position('s') === 4);
    expect(sink.writes).toEqual([[1, 2, 3].map((i) => sample(i)), [4, 5, 6, 7].map((i) => sample(i))]);
    expect(await counter(metrics, 'sinkSamples', { sink: 's' })).toBe(7);
  });

  it('while data streams in, holds the trickle that came during a write for more, then sends it as one write', async () => {
    let release!: () => void;
    const sink = new ScriptedSink('s', () => ({ kind: 'ok' }));
    const written = sink.write.bind(sink);
    // The first write is on its way until the test releases it.
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    sink.write = async (batch) => {
      if (sink.writes.length === 0) await gate;
      return written(batch);
    };
    const { log, forwarder, append } = await setup(sink, {
      batchMaxSamples: 100,
      flushIntervalMs: 60_000,
      trickleWaitMs: 400,
    });
    await forwarder.start();
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => sample(from + i));
    await append(ids(0, 100));
    for (let r = 0; r < 3; r++) await append(ids(100 + 10 * r, 10));
    release();
    await until(() => sink.writes.length === 1);
    // The 30 samples that came meanwhile wait for more: these 30 arrive within the wait.
    for (let r = 3; r < 6; r++) await append(ids(100 + 10 * r, 10));
    // Sent after the short wait, not the flush interval (a minute).
    await until(() => log.position('s') === 7);
    expect(sink.writes.map((w) => w.length)).toEqual([100, 60]);
    expect(sink.writes.flat()).toEqual(ids(0, 160));
    // A full batch's worth goes at once, whatever the waits.
    for (let r = 0; r < 10; r++) await append(ids(160 + 10 * r, 10));
    await until(() => log.position('s') === 17);
    expect(sink.writes.map((w) => w.length)).toEqual([100, 60, 100]);
  });

  it('splits a batch the sink finds too large until the parts fit', async () => {
    const sink = new ScriptedSink('small', (batch) =>
      batch.length > 2 ? { kind: 'split', reason: 'HTTP 413' } : { kind: 'ok' },
    );
    const { log, metrics, forwarder, append } = await setup(sink);
    await append([1, 2, 3, 4, 5].map((i) => sample(i)));
    await forwarder.start();
    await until(() => log.position('small') === 1);
    const stored = sink.writes.filter((w) => w.length <= 2);
    expect(stored.flat()).toEqual([1, 2, 3, 4, 5].map((i) => sample(i)));
    expect(await counter(metrics, 'sinkSamples', { sink: 'small' })).toBe(5);
  });

  it('drops and counts exactly the samples a sink rejects as bad data, and moves on', async () => {
    const sink = new ScriptedSink('strict', (batch) =>
      batch.length === 3 ? { kind: 'drop', reason: 'HTTP 400', rejected: 2 } : { kind: 'ok' },
    );
    const { log, metrics, forwarder, append } = await setup(sink);
    await append([sample(1), sample(2), sample(3)]);
    await forwarder.start();
    await until(() => log.position('strict') === 1);
    expect(await counter(metrics, 'sinkDropped', { sink: 'strict', reason: 'rejected' })).toBe(2);
    expect(await counter(metrics, 'sinkSamples', { sink: 'strict' })).toBe(1);
  });

  it('keeps buffering while credentials are refused, and delivers once they work', async () => {
    let allowed = false;
    const sink = new ScriptedSink('secure', () =>
      allowed ? { kind: 'ok' } : { kind: 'auth', reason: 'HTTP 401' },
    );
    const { log, metrics, forwarder, append } = await setup(sink);
    await forwarder.start();
    await append([sample(1)]);
    await until(async () => (await counter(metrics, 'sinkErrors', { sink: 'secure', kind: 'auth' })) >= 2);
    expect(log.position('secure')).toBe(0);
    allowed = true;
    await until(() => log.position('secure') === 1);
    expect(sink.writes.at(-1)).toEqual([sample(1)]);
  });

  it('after an outage sends the present first, then drains the backlog behind it at the set rate', async () => {
    let now = 1_000_000;
    let up = false;
    const delivered: { value: StoredSample['value']; at: number }[] = [];
    const sink = new ScriptedSink('influx', (batch) => {
      if (!up) return { kind: 'retry', reason: 'down' };
      for (const s of batch) delivered.push({ value: s.value, at: now });
      return { kind: 'ok' };
    });
    const { log, forwarder, append } = await setup(
      sink,
      { liveWindowMs: 10_000, backlogRate: 2, batchMaxSamples: 1 },
      () => now,
    );
    await forwarder.start();
    for (let i = 0; i < 6; i++) {
      await append([sample(i)]);
      now += 60_000; // a record a minute while the sink is down
    }
    await append([sample(100)]);
    up = true;
    await until(() => {
      now += 50;
      return log.position('influx') === 7;
    });
    // The record being retried when the sink came back goes first, then the present, then the backlog.
    expect(delivered.map((d) => d.value)).toEqual([0, 100, 1, 2, 3, 4, 5]);
    const backlog = delivered.slice(2);
    // Five backlog samples at 2/s: two at once (one second of burst), then one every 500 ms: 1.5 s,
    // less up to two 50 ms steps of the test clock between a refill and the write it allows.
    expect((backlog.at(-1)?.at ?? 0) - (backlog[0]?.at ?? 0)).toBeGreaterThanOrEqual(1400);
  });

  it('resumes after a restart without resending what was delivered, live ranges included', async () => {
    const sink = new ScriptedSink('influx', () => ({ kind: 'ok' }));
    const first = await setup(sink);
    await first.forwarder.start();
    await first.append([sample(1)]);
    await first.append([sample(2)]);
    await until(() => first.log.position('influx') === 2);
    await first.forwarder.stop();
    const written = sink.writes.length;
    await first.append([sample(3)]);
    await first.log.close();
    const reopened = await openLog(first.dir);
    const again = new SinkForwarder(
      reopened,
      sink,
      { ...DEFAULT_FORWARDER_OPTIONS, gatewayId: 'gw-test', flushIntervalMs: 20 },
      new GatewayMetrics(new Registry()),
      silentLogger,
    );
    await again.start();
    await until(() => reopened.position('influx') === 3);
    expect(sink.writes.slice(written).flat()).toEqual([sample(3)]);
    await again.stop();
    await reopened.close();
  });
});
