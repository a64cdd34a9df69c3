/**
 * End to end: MQTT (Mosquitto) → gateway (MQTT collector, ingest, durable log with fsync always,
 * forwarder, InfluxDB sink with gzip: all defaults) → InfluxDB 1.x, in samples stored per second,
 * next to InfluxDB's own bulk-load rate for the same points (sequential uncompressed 10,000-line
 * POSTs to /write on the same server, measured before and after the gateway run). The ratio is the
 * headline. Reference: Node-RED 4.1 reached 24,000–27,000 points/s, 0.11–0.15 of the bulk rate,
 * on a 2-core machine (gateway-lessons.md).
 *
 * The gateway runs in a child process (Gateway.start with a YAML config written to a temp folder),
 * so its CPU and RSS are its own. A raw-socket publisher in this process (MqttBurstPublisher, faster
 * than mqtt.js) sends a burst of messages at QoS 1 (PUBACKed by the broker, up to 10,000 in flight)
 * as fast as the broker takes them; the gateway
 * subscribes at QoS 1 with a persistent session. The broker may queue the whole burst for the
 * gateway (max_queued_messages raised), so what limits the rate is the gateway and not Mosquitto's
 * drop policy (its default of 1,000 queued messages per client is what made Node-RED lose points).
 * Counted: published (acknowledged by the broker), received by the gateway, stored in InfluxDB.
 *
 *   node --import tsx bench/gateway-mqtt-influx.ts            # 600,000 samples, one value per message
 *   node --import tsx bench/gateway-mqtt-influx.ts --fields 10  # ten values per JSON message
 *   node --import tsx bench/gateway-mqtt-influx.ts --smoke    # 30,000 samples; exits 1 on any loss
 *   options: --samples N  --qos 0|1  --no-attest (gateway.attest: false; default true, one signed
 *            attestation point per ingest batch, i.e. per MQTT message)  --verbose (every window)
 *            --profile (writes a --cpu-prof of the gateway to a temp folder and keeps it)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../core/log.ts';
import { DurableLog } from '../gateway/buffer/log.ts';
import { recordSamples } from '../gateway/buffer/payload.ts';
import { influxdBinary, startInfluxDB } from '../test/services/influxdb.ts';
import { mosquittoBinary, startMosquitto } from '../test/services/mosquitto.ts';
import {
  burstMessages,
  burstSamples,
  cpuMeter,
  deviceId,
  fmt,
  gatewayConfigYaml,
  influxBulkRate,
  influxPoints,
  line,
  lineProtocolLines,
  MQTT_DEVICES,
  MqttBurstPublisher,
  median,
  numberOption,
  poll,
  processRssMb,
  sleep,
  stopChild,
  TAGS_PER_DEVICE,
} from './gateway-shared.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => numberOption(args, name, fallback);
const GATEWAY_ID = 'bench-gw';

interface Report {
  received: number;
  stored: number;
  malformed: number;
  sinkErrors: number;
  /** Longest event-loop delay of the gateway since the last report (ms). */
  loopDelayMs: number;
  at: number;
}

/** Child mode: run the gateway from the config file, report its counters every 250 ms. */
async function runGateway(file: string): Promise<void> {
  const [{ PLUGINS }, { loadGatewayConfig }, { Gateway }, { createLogger }] = await Promise.all([
    import('../collector/registry.ts'),
    import('../gateway/config/schema.ts'),
    import('../gateway/runtime.ts'),
    import('../core/log.ts'),
  ]);
  const gateway = await Gateway.start(
    loadGatewayConfig(file, PLUGINS),
    PLUGINS,
    createLogger('bench', 'warn'),
  );
  const sum = async (metric: { get(): Promise<{ values: { value: number; labels: object }[] }> }) =>
    (await metric.get()).values.reduce((n, v) => n + v.value, 0);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const report = async () => {
    const errors = (await gateway.collectorMetrics.errors.get()).values;
    const out: Report = {
      received: await sum(gateway.collectorMetrics.samples),
      stored: await sum(gateway.metrics.sinkSamples),
      malformed: errors.reduce((n, v) => n + (v.labels.kind === 'disconnected' ? 0 : v.value), 0),
      sinkErrors: await sum(gateway.metrics.sinkErrors),
      loopDelayMs: delay.max / 1e6,
      at: Date.now(),
    };
    delay.reset();
    process.stdout.write(`${JSON.stringify(out)}\n`);
  };
  const timer = setInterval(() => void report(), 250);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void gateway.stop().finally(() => process.exit(0));
  });
}

/**
 * Samples of our tags still in a stopped gateway's buffer that the sink has not acknowledged: not
 * lost, only not stored yet (the next start sends them).
 */
async function unsent(dataDir: string, sink: string): Promise<number> {
  const log = await DurableLog.open({
    dir: path.join(dataDir, 'buffer'),
    maxBytes: 1024 ** 4,
    maxAgeMs: 0,
    segmentBytes: 16 * 1024 ** 2,
    fsync: { mode: 'never' },
    whenFull: 'refuse-new',
    log: silentLogger,
  });
  try {
    const position = log.readerPosition(sink);
    let count = 0;
    for (let from = position.next; from < log.stats().nextSeq; ) {
      const records = await log.read(sink, 10_000, from);
      if (records.length === 0) break;
      for (const record of records) {
        if (position.isAcked(record.seq)) continue;
        count += recordSamples(record).filter((x) => /^t[0-9]+$/.test(x.tag)).length;
      }
      from = records.at(-1)!.seq + 1;
    }
    return count;
  } finally {
    await log.close();
  }
}

async function bench(): Promise<void> {
  const smoke = args.includes('--smoke');
  const fields = option('--fields', 1) === 1 ? 1 : TAGS_PER_DEVICE;
  const qos = option('--qos', 1) === 0 ? 0 : 1;
  const samples = option('--samples', smoke ? 30_000 : 600_000);
  const rounds = Math.ceil(samples / (MQTT_DEVICES * TAGS_PER_DEVICE));
  const total = rounds * MQTT_DEVICES * TAGS_PER_DEVICE;
  if (!mosquittoBinary.available || !influxdBinary.available) {
    console.error('gateway-mqtt-influx: needs mosquitto and influxd installed');
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-mqtt-'));
  const [broker, influx] = await Promise.all([
    startMosquitto([`max_queued_messages ${total + 10_000}`]),
    startInfluxDB(),
  ]);
  let gateway: ChildProcess | undefined;
  let publisher: MqttBurstPublisher | undefined;
  let failed = false;
  try {
    const base = Date.now() - 3_600_000;
    const lines = lineProtocolLines(burstSamples(rounds, base), GATEWAY_ID);
    const bulkBefore = await influxBulkRate(influx, 'bulk_before', lines);

    const file = path.join(dir, 'plant.yaml');
    await writeFile(
      file,
      gatewayConfigYaml({
        broker: broker.url,
        influx: influx.url,
        database: 'gateway',
        fields,
        qos,
        attest: !args.includes('--no-attest'),
        gatewayId: GATEWAY_ID,
      }),
    );
    const profileDir = path.join(dir, 'profile');
    const nodeArgs = args.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url), '--gateway', file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    gateway = child;
    let report: Report = { received: 0, stored: 0, malformed: 0, sinkErrors: 0, loopDelayMs: 0, at: 0 };
    let exited = false;
    let silence = 0;
    child.once('exit', () => {
      exited = true;
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (text) => {
        if (!text.startsWith('{')) return;
        const message = JSON.parse(text) as Partial<Report> & { ready?: boolean };
        if (message.ready) resolve();
        else {
          const next = message as Report;
          if (report.at > 0) silence = Math.max(silence, next.at - report.at);
          report = next;
          if (args.includes('--verbose')) console.log(`${Date.now() - report.at} ${text}`);
        }
      });
    });
    await ready;

    publisher = await MqttBurstPublisher.connect(broker.port, 'bench-publisher', qos);
    const pub = publisher;
    // Warm up until the gateway's subscription is live; those samples are counted in the total.
    let warm = 0;
    const live = await poll(
      async () => {
        await pub.send([[`warmup/${deviceId(0)}/t0`, `{"v":1,"ts":${base - 10_000 + warm++}}`]]);
        return report.received > 0;
      },
      20_000,
      200,
    );
    if (!live) throw new Error('the gateway received nothing from the broker within 20 s');
    await sleep(1000);
    const before = { ...report };
    const acked0 = pub.acked;

    const pids = { gateway: child.pid!, mosquitto: broker.process.pid!, influxd: influx.process.pid! };
    const meter = cpuMeter(pids);
    const windows: {
      published: number;
      received: number;
      stored: number;
      brokerBacklog: number;
      cpu: Record<string, number>;
      rss: number;
    }[] = [];
    const started = performance.now();
    silence = 0; // from here: the longest time between two gateway reports (its event loop was blocked)
    let publishedAt = 0;
    const publishing = pub.send(burstMessages(rounds, base, fields)).then(() => {
      publishedAt = performance.now();
    });
    let last = { acked: pub.acked, received: report.received, stored: report.stored, t: started };
    let lastProgress = performance.now();
    const expected = before.received + total;
    const deadline = performance.now() + Math.max(120_000, total / 2);
    while (!exited && performance.now() < deadline) {
      await sleep(1000);
      const now = performance.now();
      const seconds = (now - last.t) / 1000;
      const perMessage = fields === 1 ? 1 : TAGS_PER_DEVICE;
      windows.push({
        published: ((pub.acked - last.acked) * perMessage) / seconds,
        received: (report.received - last.received) / seconds,
        stored: (report.stored - last.stored) / seconds,
        brokerBacklog: (pub.acked - acked0) * perMessage - (report.received - before.received),
        cpu: meter(),
        rss: processRssMb(child.pid!),
      });
      // Progress is judged on fresh reports only: a gateway whose loop is blocked reports nothing.
      if (report.stored > last.stored || Date.now() - report.at > 1000) lastProgress = now;
      last = { acked: pub.acked, received: report.received, stored: report.stored, t: now };
      if (report.stored >= expected && publishedAt > 0) break;
      if (now - lastProgress > 60_000) break; // responsive but nothing stored for 60 s: report what is missing
    }
    await publishing;
    const storedAt = performance.now();
    const complete = report.stored >= expected;
    await sleep(500);
    // Stopped (its final flush may store a little more), so its buffer can be read.
    await stopChild(child);
    const buffered = await unsent(path.join(dir, 'data'), 'influx');
    const bulkAfter = await influxBulkRate(influx, 'bulk_after', lines);
    // Our samples only: the gateway may write points of its own beside them (counted apart).
    const inInflux = await influxPoints(influx, 'gateway', 'WHERE tag_id =~ /^t[0-9]+$/');
    const ownPoints = (await influxPoints(influx, 'gateway')) - inInflux;

    // The headline is the whole burst, first publish to last sample stored: the gateway stores in
    // bursts (see the longest silence), so one-second windows of stored samples are not steady.
    const seconds = (storedAt - started) / 1000;
    const rate = total / seconds;
    const busy = windows.slice(1, -1);
    const bulk = median([...bulkBefore.perPost, ...bulkAfter.perPost]);
    const published = (pub.acked - acked0) * (fields === 1 ? 1 : TAGS_PER_DEVICE);
    const delivered = report.received - before.received;
    const lost = expected - inInflux - buffered;
    const medianOf = (pick: (w: (typeof windows)[number]) => number) => fmt(median(busy.map(pick)));

    console.log(
      `MQTT → gateway → InfluxDB 1.6: ${fmt(total)} samples from ${MQTT_DEVICES} devices × ${TAGS_PER_DEVICE} tags, ` +
        `${fields === 1 ? 'one value per message' : `${fields} values per message`}, QoS ${qos}, ` +
        `attestation ${args.includes('--no-attest') ? 'off' : 'on'}, ` +
        `${windows.length} one-second windows`,
    );
    line(
      'InfluxDB bulk load, points/s',
      `${fmt(bulk)} median of ${bulkBefore.perPost.length + bulkAfter.perPost.length} POSTs ` +
        `(overall ${fmt(bulkBefore.overall)} before, ${fmt(bulkAfter.overall)} after)`,
    );
    line(
      'gateway, samples stored/s',
      `${fmt(rate)}   (whole burst: ${fmt(seconds, 1)} s${complete ? '' : ', NOT COMPLETE: gave up'}; ` +
        'Node-RED 4.1: 24,000–27,000)',
    );
    line('ratio to bulk load', `${fmt(rate / bulk, 3)}   (Node-RED 4.1: 0.11–0.15)`);
    line(
      'per window (median): pub/recv/stored',
      `${medianOf((w) => w.published)} / ${medianOf((w) => w.received)} / ${medianOf((w) => w.stored)} ` +
        `samples/s; publisher done after ${fmt((publishedAt - started) / 1000, 1)} s`,
    );
    line(
      'largest broker backlog; gateway stall',
      `${fmt(Math.max(0, ...windows.map((w) => w.brokerBacklog)))} samples; event loop silent up to ${fmt(silence)} ms`,
    );
    line(
      'CPU % of a core (median)',
      `gateway ${medianOf((w) => w.cpu.gateway!)}, mosquitto ${medianOf((w) => w.cpu.mosquitto!)}, ` +
        `influxd ${medianOf((w) => w.cpu.influxd!)}`,
    );
    line(
      'gateway RSS MB (median / max)',
      `${fmt(median(windows.map((w) => w.rss)), 1)} / ${fmt(Math.max(...windows.map((w) => w.rss)), 1)}   ` +
        '(Node-RED: 362; target well under 150)',
    );
    line(
      'published / delivered / stored',
      `${fmt(published)} / ${fmt(delivered)} / ${fmt(inInflux - before.received)} ` +
        `(+${before.received} warm-up); left in its buffer ${fmt(buffered)}; lost ${fmt(lost)}; ` +
        `malformed ${report.malformed}; ` +
        `sink errors ${report.sinkErrors}; other points the gateway wrote ${fmt(ownPoints)}`,
    );
    if (args.includes('--verbose')) for (const w of windows) console.log(JSON.stringify(w));
    if (lost !== 0 || delivered !== total || report.malformed > 0) {
      console.error(
        `gateway-mqtt-influx: ${lost} samples lost (${total - delivered} not delivered by the broker)`,
      );
      failed = qos === 1 || smoke;
    }
    if (args.includes('--profile')) console.log(`CPU profile of the gateway: ${profileDir} (kept)`);
  } finally {
    await publisher?.close().catch(() => undefined);
    if (gateway) await stopChild(gateway);
    await Promise.all([broker.stop(), influx.stop()]);
    if (!args.includes('--profile')) await rm(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

const gatewayAt = args.indexOf('--gateway');
if (gatewayAt !== -1) await runGateway(args[gatewayAt + 1]!);
else await bench();
