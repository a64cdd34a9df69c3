/**
 * The durable buffer, with realistic samples of 10,000 tags across 300 devices (60 % floats, 25 %
 * counters, 12 % booleans, 3 % state strings; one record per device per second, as a Modbus poll
 * delivers them):
 *
 * (a) bytes on disk per buffered sample: segment bytes / samples, for records of one device poll
 *     (~33 samples) and of one sample (an MQTT message carrying one value), next to the InfluxDB line
 *     protocol of the same samples and its gzip (level 6, one stream) as baselines.
 * (b) drain after an outage: an outage of 10 minutes of 10,000 tags at 1 s (6,000,000 samples) is
 *     buffered while InfluxDB is halted, InfluxDB is restarted, and the backlog drains with the
 *     default backlogRate (20,000/s) and with backlogRate unlimited (1e9), while live data (10,000
 *     samples/s) keeps arriving. Baseline: InfluxDB's own bulk-load rate (sequential 10,000-line
 *     POSTs) measured in the same run. Every sample appended must be in InfluxDB at the end.
 *
 * What (b) covers: the gateway's ingest path (gateway/ingest/: typing, line protocol, append with
 * fsync always) into a DurableLog, and a SinkForwarder with an InfluxSink (gzip on), all with the
 * gateway's defaults — the same objects Gateway wires, minus collectors and derived data. The log
 * and forwarder get a clock that runs through the 10 outage minutes as fast as the disk takes them
 * and then follows the wall clock, so "10 minutes old" is true for them and the live window means
 * what it means in the field.
 *
 *   node --import tsx bench/gateway-buffer.ts           # 60 s for (a), a 600 s outage for (b)
 *   node --import tsx bench/gateway-buffer.ts --smoke   # 6 s outage; exits 1 if a sample is missing
 *   options: --outage S (seconds of outage)  --profile (prints where the drain's CPU goes)
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { silentLogger } from '../core/log.ts';
import type { Device } from '../core/model.ts';
import { DurableLog } from '../gateway/buffer/log.ts';
import { DEFAULT_FORWARDER_OPTIONS, SinkForwarder } from '../gateway/forward/forwarder.ts';
import { Ingest } from '../gateway/ingest/ingest.ts';
import { GatewayMetrics } from '../gateway/metrics.ts';
import { influxV1Schema } from '../gateway/sinks/influxdb/schema.ts';
import { InfluxSink } from '../gateway/sinks/influxdb/sink.ts';
import { toLines } from '../gateway/sinks/line-protocol.ts';
import { Batch, type Sink, type StoredSample, type WriteOutcome } from '../gateway/sinks/sink.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../test/services/influxdb.ts';
import {
  DEVICES,
  fmt,
  influxBulkRate,
  influxPoints,
  KINDS,
  line,
  lineProtocolLines,
  median,
  numberOption,
  plant,
  poll,
  poll1,
  sleep,
  TAGS,
} from './gateway-shared.ts';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const option = (name: string, fallback: number) => numberOption(args, name, fallback);
const GATEWAY_ID = 'yk-cups-gw01';
async function openLog(dir: string, now: () => number, fsync: 'always' | 'never'): Promise<DurableLog> {
  return DurableLog.open({
    dir,
    maxBytes: 1024 ** 3,
    maxAgeMs: 7 * 86_400_000,
    segmentBytes: 16 * 1024 ** 2,
    fsync: { mode: fsync },
    whenFull: 'drop-oldest',
    log: silentLogger,
    now,
  });
}

async function segmentBytes(dir: string): Promise<number> {
  const folder = path.join(dir, 'segments');
  let bytes = 0;
  for (const file of await readdir(folder)) bytes += (await stat(path.join(folder, file))).size;
  return bytes;
}

/** (a) Bytes per sample in the log for records of `perRecord` samples (0 = one device poll). */
async function bytesPerSample(devices: Device[], seconds: number, perRecord: number, base: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-buffer-'));
  const log = await openLog(dir, Date.now, 'never');
  let samples = 0;
  let lineBytes = 0;
  const lines: string[] = [];
  for (let s = 0; s < seconds; s++) {
    const appends: Promise<number>[] = [];
    devices.forEach((device, d) => {
      const batch = poll1(device, d, s, base);
      samples += batch.length;
      const text = toLines(batch, { measurement: 'samples', gatewayId: GATEWAY_ID });
      lineBytes += Buffer.byteLength(text);
      lines.push(text);
      const size = perRecord === 0 ? batch.length : perRecord;
      for (let i = 0; i < batch.length; i += size) {
        const part = batch.slice(i, i + size);
        const record = toLines(part, { measurement: 'samples', gatewayId: GATEWAY_ID });
        appends.push(log.append(Buffer.from(record), part.length));
      }
    });
    await Promise.all(appends);
  }
  await log.close();
  const bytes = await segmentBytes(dir);
  await rm(dir, { recursive: true, force: true });
  const gzipBytes = gzipSync(lines.join('')).length;
  return { samples, log: bytes / samples, lineProtocol: lineBytes / samples, gzip: gzipBytes / samples };
}

/** A sink that passes writes on and tells backlog from live samples (by source time) as they are stored. */
class CountingSink implements Sink {
  backlog = 0;
  live = 0;
  firstBacklogAt = 0;
  lastBacklogAt = 0;
  newestLive = 0;
  constructor(
    private readonly inner: InfluxSink,
    private readonly outageEnd: number,
  ) {}
  get name() {
    return this.inner.name;
  }
  async write(given: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const outcome = await this.inner.write(given);
    if (outcome.kind !== 'ok') return outcome;
    const batch = given instanceof Batch ? given.samples() : given;
    for (const sample of batch) {
      if (sample.sourceTime < this.outageEnd) this.backlog++;
      else {
        this.live++;
        this.newestLive = Math.max(this.newestLive, sample.sourceTime);
      }
    }
    if (batch.some((s) => s.sourceTime < this.outageEnd)) {
      this.firstBacklogAt ||= performance.now();
      this.lastBacklogAt = performance.now();
    }
    return outcome;
  }
  close() {
    return this.inner.close();
  }
}

interface DrainResult {
  backlog: number;
  fillSeconds: number;
  resumeSeconds: number;
  windows: { backlog: number; live: number; liveLagS: number }[];
  overall: number;
  appended: number;
  stored: number;
}

/** (b) One outage: fill while InfluxDB is down, restart it, measure the drain beside live data. */
async function drain(
  influx: InfluxDB,
  devices: Device[],
  outageSeconds: number,
  backlogRate: number,
  db: string,
): Promise<DrainResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-drain-'));
  const outageStart = Date.now() - outageSeconds * 1000;
  const outageEnd = outageStart + outageSeconds * 1000;
  // The outage's clock: simulated seconds during the fill, then the wall clock shifted to continue it.
  let simulated: number | undefined = outageStart;
  let offset = 0;
  const now = () => simulated ?? Date.now() + offset;
  const log = await openLog(path.join(dir, 'buffer'), now, 'always');
  const metrics = new GatewayMetrics(new Registry());
  const ingest = new Ingest(log, metrics, silentLogger, GATEWAY_ID);
  ingest.setTypes(devices);
  const config = influxV1Schema.parse({
    name: 'influx',
    type: 'influxdb',
    version: 1,
    url: influx.url,
    database: db,
  });
  const influxSink = new InfluxSink(config, GATEWAY_ID);
  await influxSink.prepare();
  const sink = new CountingSink(influxSink, outageEnd);
  await influx.halt();
  const forwarder = new SinkForwarder(
    log,
    sink,
    { ...DEFAULT_FORWARDER_OPTIONS, gatewayId: GATEWAY_ID, backlogRate },
    metrics,
    silentLogger,
    now,
  );
  ingest.onAppended((n) => forwarder.notify(n));
  await forwarder.start();

  let appended = 0;
  const fillStarted = performance.now();
  for (let s = 0; s < outageSeconds; s++) {
    simulated = outageStart + s * 1000;
    devices.forEach((device, d) => {
      const batch = poll1(device, d, s, outageStart);
      appended += batch.length;
      ingest.accept(batch);
    });
    await ingest.settle();
  }
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const backlog = appended;
  offset = outageEnd - Date.now();
  simulated = undefined;

  await influx.restart();
  const restartedAt = performance.now();
  // Live data keeps coming: every device polled once a second, stamped with the continued clock.
  let tick = 0;
  const live = setInterval(() => {
    const s = outageSeconds + ++tick;
    devices.forEach((device, d) => {
      const batch = poll1(device, d, s, outageStart).map((x) => ({
        ...x,
        sourceTime: now() - 5 + (d % 5),
        receivedAt: now(),
      }));
      appended += batch.length;
      ingest.accept(batch);
    });
  }, 1000);
  const windows: DrainResult['windows'] = [];
  let last = { backlog: 0, live: 0, t: performance.now() };
  const deadline = performance.now() + Math.max(120_000, (backlog / Math.min(backlogRate, 20_000)) * 3000);
  while (sink.backlog < backlog && performance.now() < deadline) {
    await sleep(1000);
    const t = performance.now();
    const seconds = (t - last.t) / 1000;
    if (sink.firstBacklogAt > 0)
      windows.push({
        backlog: (sink.backlog - last.backlog) / seconds,
        live: (sink.live - last.live) / seconds,
        liveLagS: sink.newestLive === 0 ? Number.NaN : (now() - sink.newestLive) / 1000,
      });
    last = { backlog: sink.backlog, live: sink.live, t };
  }
  clearInterval(live);
  await ingest.settle();
  // Everything appended, live included, must reach InfluxDB.
  await poll(() => sink.backlog + sink.live >= appended, 60_000, 100);
  await forwarder.stop();
  await log.close();
  await rm(dir, { recursive: true, force: true });
  const stored = await influxPoints(influx, db);
  return {
    backlog,
    fillSeconds,
    resumeSeconds: (sink.firstBacklogAt - restartedAt) / 1000,
    windows,
    overall: backlog / ((sink.lastBacklogAt - sink.firstBacklogAt) / 1000),
    appended,
    stored,
  };
}

async function main(): Promise<void> {
  const devices = plant();
  const outage = option('--outage', smoke ? 6 : 600);
  const base = Date.now() - 86_400_000;
  console.log(
    `Durable buffer: ${fmt(TAGS)} tags on ${DEVICES} devices (${KINDS.map((k) => `${k.share * 100}% ${k.type}`).join(', ')})`,
  );
  const poll = await bytesPerSample(devices, smoke ? 5 : 60, 0, base);
  const single = await bytesPerSample(devices, smoke ? 1 : 5, 1, base);
  line(
    '(a) bytes per sample on disk',
    `${fmt(poll.log, 1)} in records of one device poll (~33); ${fmt(single.log, 1)} in one-sample records`,
  );
  line(
    '    baselines, same samples',
    `line protocol ${fmt(poll.lineProtocol, 1)}, gzip of it ${fmt(poll.gzip, 1)}  ` +
      `(log/LP ${fmt(poll.log / poll.lineProtocol, 2)}; ${fmt(poll.samples)} samples)`,
  );
  if (!influxdBinary.available) {
    console.error('gateway-buffer: (b) needs influxd installed');
    process.exitCode = 1;
    return;
  }

  const influx = await startInfluxDB();
  let broken = false;
  try {
    const sampleSeconds = smoke ? 10 : 50;
    const lines: string[] = [];
    for (let s = 0; s < sampleSeconds; s++)
      devices.forEach((device, d) => {
        lines.push(...lineProtocolLines(poll1(device, d, s, base), GATEWAY_ID));
      });
    const bulk = await influxBulkRate(influx, 'bulk', lines);
    const bulkRate = median(bulk.perPost);
    line(
      'InfluxDB bulk load, points/s',
      `${fmt(bulkRate)} median of ${bulk.perPost.length} POSTs of 10,000 lines`,
    );
    const profiling = args.includes('--profile') ? new Session() : undefined;
    if (profiling) {
      profiling.connect();
      await profiling.post('Profiler.enable');
      await profiling.post('Profiler.start');
    }
    for (const [label, rate, db] of [
      ['default backlogRate 20,000', 20_000, 'drain_default'],
      ['backlogRate unlimited (1e9)', 1e9, 'drain_unlimited'],
    ] as const) {
      const r = await drain(influx, devices, outage, rate, db);
      const steady = r.windows.slice(1, -1);
      const rates = steady.length > 0 ? steady : r.windows;
      const drainRate = median(rates.map((w) => w.backlog));
      console.log(
        `(b) ${label}: outage of ${fmt(outage)} s buffered = ${fmt(r.backlog)} samples, filled in ${fmt(r.fillSeconds, 1)} s ` +
          `(${fmt(r.backlog / r.fillSeconds)} samples/s appended, fsync always)`,
      );
      line(
        '    backlog drained, samples/s',
        `${fmt(drainRate)} median of ${rates.length} windows; ${fmt(r.overall)} overall ` +
          `(${fmt(drainRate / bulkRate, 3)} of bulk load); first write ${fmt(r.resumeSeconds, 1)} s after restart`,
      );
      line(
        '    live during the drain',
        `${fmt(median(rates.map((w) => w.live)))} samples/s stored (10,000 arriving); ` +
          `lag median ${fmt(median(rates.map((w) => w.liveLagS).filter(Number.isFinite)), 1)} s, ` +
          `max ${fmt(Math.max(0, ...r.windows.map((w) => w.liveLagS).filter(Number.isFinite)), 1)} s`,
      );
      line(
        '    appended / in InfluxDB',
        `${fmt(r.appended)} / ${fmt(r.stored)}${r.stored === r.appended ? '' : '  MISSING SAMPLES'}`,
      );
      if (r.stored !== r.appended) broken = true;
    }
    if (profiling) {
      const { profile } = await profiling.post('Profiler.stop');
      const file = path.join(tmpdir(), `gateway-buffer-${Date.now()}.cpuprofile`);
      await import('node:fs/promises').then((fs) => fs.writeFile(file, JSON.stringify(profile)));
      console.log(`CPU profile of the fill and drains: ${file}`);
    }
  } finally {
    await influx.stop();
  }
  if (broken) {
    console.error('gateway-buffer: samples appended to the buffer are missing in InfluxDB');
    process.exitCode = 1;
  }
}

await main();
