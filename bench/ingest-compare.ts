/**
 * MQTT → InfluxDB 1.6 ingest, side by side (issue #15): the same bursts through a bare consumer (the
 * ceiling), Node-RED 4.1 with node-red-contrib-influxdb, and the shugai gateway with its defaults,
 * each in its own process against a fresh Mosquitto and a fresh InfluxDB, measured alike: samples
 * stored per second (first publish → last sample stored, exact count()), loss, the contender's CPU
 * per stored point and its RSS, and beside it the CPU Mosquitto spent a point (one thread: it
 * delivers at most 1 / that per second, which the verdict names when it rules out a target) and that
 * of every process of the run (contender, Mosquitto, InfluxDB, the publisher). Ratios are taken
 * within a run (the machine is shared and noisy); medians over --runs.
 *
 *   node --import tsx bench/ingest-compare.ts            # 3 runs of the three workloads (~1 h)
 *   node --import tsx bench/ingest-compare.ts --smoke    # small bursts; exits 1 on loss or a crash
 *   options: --runs N  --samples N (per workload)  --inflight N (Mosquitto max_inflight_messages;
 *            default Mosquitto's own, 20)  --workloads one-qos0,one-qos1,ten-qos1,ten-qos0
 *            --contenders bare,node-red,gateway,gateway-no-attest  --verbose (the contenders' output)
 *            --profile DIR (a V8 CPU profile of each gateway run into DIR, for Chrome DevTools)
 *            --gateway-node-flags "FLAGS" (Node/V8 flags for the gateway's process, after those of
 *            its NODE_OPTIONS, e.g. "--max-semi-space-size=16" to measure V8's default young generation)
 *
 * Workloads: 100 devices × 10 tags; one value per message (`plant/{device}/{tag}`, {"v", "ts"}) at
 * QoS 0 and QoS 1, and ten values per message (`plant/{device}/all`) at QoS 1. A burst is published as
 * fast as Mosquitto takes it by a raw-socket publisher in this process (MqttBurstPublisher; mqtt.js
 * publishes 3–5× slower than the broker delivers). Mosquitto queues the whole burst for the contender
 * (`max_queued_messages 0`); its in-flight window towards each subscriber stays at its default of 20
 * QoS 1 messages unless --inflight says otherwise. Two references per workload and run: the same
 * burst from the publisher through Mosquitto into a subscriber that discards it (what the bench's
 * own side can deliver), and InfluxDB's bulk-load rate for the same points.
 *
 * Every contender writes the gateway's point shape (`samples,device,gateway,quality,tag_id value,received`)
 * so InfluxDB does the same work for each; stored = count(received) of the burst's time range. The
 * gateway runs with the environment and node flags its systemd unit and image give it (GATEWAY_ENV:
 * MALLOC_ARENA_MAX=2, NODE_OPTIONS=--max-semi-space-size=4; --single-threaded-gc); the other
 * contenders with the bench's own.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../test/services/influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../test/services/mosquitto.ts';
import { freePort } from '../test/services/ports.ts';
import {
  burstMessages,
  burstSamples,
  DiscardingSubscriber,
  deviceId,
  ensureCurrentBuild,
  fmt,
  GATEWAY_ENV,
  GATEWAY_NODE_FLAGS,
  gatewayConfigYaml,
  influxBulkRate,
  influxPoints,
  influxPointsWritten,
  lineProtocolLines,
  MQTT_DEVICES,
  MqttBurstPublisher,
  median,
  metric,
  metricBy,
  numberOption,
  ProcessSampler,
  poll,
  processCpuSeconds,
  ROOT,
  sleep,
  spawnReady,
  stopChild,
  TAGS_PER_DEVICE,
} from './gateway-shared.ts';

const args = process.argv.slice(2);
const SELF = fileURLToPath(import.meta.url);
const DB = 'bench';
const NODE_RED_VERSION = '4.1.15'; // node-red 5 needs Node 22
const INFLUXDB_NODES_VERSION = '0.7.0';
/** No write for this long after the burst is published: what is missing then is counted lost. */
const STALL_MS = args.includes('--smoke') ? 30_000 : 60_000;
/** The bulk-load reference loads at most this many points (its rate does not need more). */
const BULK_POINTS = 1_000_000;

interface Workload {
  name: string;
  label: string;
  fields: 1 | 10;
  qos: 0 | 1;
  /** Samples of a burst: ≥ 30 s of the fastest contender; a few seconds with --smoke. */
  samples: number;
  smokeSamples: number;
}

const WORKLOADS: Workload[] = [
  {
    name: 'one-qos0',
    label: 'one value per message, QoS 0',
    fields: 1,
    qos: 0,
    samples: 1_000_000,
    smokeSamples: 20_000,
  },
  {
    name: 'one-qos1',
    label: 'one value per message, QoS 1',
    fields: 1,
    qos: 1,
    samples: 1_000_000,
    smokeSamples: 20_000,
  },
  {
    name: 'ten-qos1',
    label: 'ten values per message, QoS 1',
    fields: 10,
    qos: 1,
    samples: 3_000_000,
    smokeSamples: 100_000,
  },
  {
    name: 'ten-qos0',
    label: 'ten values per message, QoS 0',
    fields: 10,
    qos: 0,
    samples: 3_000_000,
    smokeSamples: 100_000,
  },
];

const CONTENDERS = {
  bare: 'bare consumer',
  'node-red': `Node-RED ${NODE_RED_VERSION}`,
  gateway: 'shugai gateway',
  'gateway-no-attest': 'gateway --no-attest',
} as const;
type Contender = keyof typeof CONTENDERS;

interface Outcome {
  contender: Contender;
  /** First publish → last sample stored (or the last write seen, when incomplete). */
  seconds: number;
  /** Samples stored per second over `seconds`. */
  rate: number;
  /** How long the publisher took to hand the burst to Mosquitto. */
  publishSeconds: number;
  published: number;
  stored: number;
  lost: number;
  cpuUsPerPoint: number;
  /** Mosquitto's CPU over the same time, per sample stored. */
  brokerUsPerPoint: number;
  /** Every process's over the same time (contender, Mosquitto, InfluxDB, the publisher in this one). */
  allUsPerPoint: number;
  rssMedianMb: number;
  rssPeakMb: number;
  /** Set when the contender exited during the run. */
  crashed?: string;
  /** The contender's own counters, when it has them (the gateway's /metrics). */
  counters?: string;
}

interface References {
  /** Publisher → Mosquitto → a subscriber that discards, samples/s. */
  discard: number;
  /** InfluxDB bulk load: median of 10,000-line POSTs and over all of them, points/s. */
  bulkMedian: number;
  bulkOverall: number;
}

interface Burst {
  workload: Workload;
  rounds: number;
  /** Samples in the burst. */
  total: number;
  /** Messages in the burst. */
  messages: number;
  /** Round r is stamped base + r ms; warm-up messages are older. */
  base: number;
}

const topicFilter = (w: Workload) => (w.fields === 1 ? 'plant/+/+' : 'plant/+/all');

/** One message older than the burst, to see that a contender's path to InfluxDB is open. */
function warmupMessage(w: Workload, ts: number): [string, string] {
  if (w.fields === 1) return [`plant/${deviceId(0)}/t0`, `{"v":1,"ts":${ts}}`];
  const values = Array.from({ length: TAGS_PER_DEVICE }, (_, t) => `"t${t}":1`).join(',');
  return [`plant/${deviceId(0)}/all`, `{${values},"ts":${ts}}`];
}

const OUR_TAGS = `tag_id =~ /^t[0-9]+$/`;
const storedSince = (influx: InfluxDB, base: number) =>
  influxPoints(influx, DB, `WHERE time >= ${base}ms AND ${OUR_TAGS}`);
const storedBefore = (influx: InfluxDB, base: number) =>
  influxPoints(influx, DB, `WHERE time < ${base}ms AND ${OUR_TAGS}`);

function brokerConfig(): string[] {
  const inflight = numberOption(args, '--inflight', Number.NaN);
  return ['max_queued_messages 0', ...(Number.isNaN(inflight) ? [] : [`max_inflight_messages ${inflight}`])];
}

// ---------------------------------------------------------------------------------------------
// The contenders. Each starts in its own process and resolves once it is connected to the broker.

interface Started {
  child: ChildProcess;
  /** The contender's own account of what it received and dropped, read before it stops. */
  counters?: () => Promise<string>;
}
type Start = (context: Context) => Promise<Started>;

interface Context {
  burst: Burst;
  broker: Mosquitto;
  influx: InfluxDB;
  /** A temp folder of this contender's run, removed afterwards. */
  dir: string;
  children: ChildProcess[];
}

const CONSUMER_PREFIX = 'plant/';

/** With --verbose, a contender's output lines are shown as they come. */
const echo = (contender: Contender) =>
  args.includes('--verbose') ? (text: string) => console.log(`  [${contender}] ${text}`) : undefined;

/**
 * The ceiling: mqtt.js → line protocol → 10,000-line POSTs (or whatever 200 ms gathered), two in
 * flight, on a keep-alive agent. No durability, no checks, no escaping (the bench's ids need none).
 */
async function runBareConsumer(options: { broker: string; influx: string; qos: 0 | 1; topic: string }) {
  const target = new URL(`/write?db=${DB}&precision=ms`, options.influx);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const ready: string[] = [];
  let inFlight = 0;
  let lines = '';
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    while (inFlight < 2 && ready.length > 0) post(ready.shift()!);
  };
  const done = () => {
    inFlight--;
    next();
  };
  const post = (body: string) => {
    inFlight++;
    const request = http.request(
      target,
      { method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } },
      (response) => {
        if (response.statusCode !== 204) console.error(`bare consumer: HTTP ${response.statusCode}`);
        response.resume();
        response.on('end', done);
      },
    );
    request.on('error', (error) => {
      console.error(`bare consumer: ${error.message}`);
      done();
    });
    request.end(body);
  };
  const cut = () => {
    clearTimeout(timer);
    timer = undefined;
    if (count === 0) return;
    ready.push(lines);
    lines = '';
    count = 0;
    next();
  };
  const client = await mqtt.connectAsync(options.broker, {
    clientId: 'bench-bare-consumer',
    protocolVersion: 4,
    clean: true,
  });
  client.on('message', (topic, payload) => {
    const received = Date.now();
    const slash = topic.indexOf('/', CONSUMER_PREFIX.length);
    const head = `samples,device=${topic.slice(CONSUMER_PREFIX.length, slash)},gateway=bare,quality=good,tag_id=`;
    const tag = topic.slice(slash + 1);
    const message = JSON.parse(payload.toString()) as Record<string, number>;
    const tail = `,received=${received}i ${message.ts}\n`;
    if (tag === 'all') {
      for (const key in message)
        if (key !== 'ts') {
          lines += `${head}${key} value=${message[key]}${tail}`;
          count++;
        }
    } else {
      lines += `${head}${tag} value=${message.v}${tail}`;
      count++;
    }
    if (count >= 10_000) cut();
    else timer ??= setTimeout(cut, 200);
  });
  await client.subscribeAsync(options.topic, { qos: options.qos });
  console.log('READY');
  process.once('SIGTERM', () => {
    cut();
    void client.endAsync().finally(() => process.exit(0));
  });
}

async function startBare({ burst, broker, influx, children }: Context): Promise<Started> {
  const options = {
    broker: broker.url,
    influx: influx.url,
    qos: burst.workload.qos,
    topic: topicFilter(burst.workload),
  };
  const child = await spawnReady(
    ['--import', 'tsx', SELF, '--bare-consumer', JSON.stringify(options)],
    (l) => l === 'READY',
    children,
    { echo: echo('bare') },
  );
  return { child };
}

function startGateway(attest: boolean): Start {
  return async ({ burst, broker, influx, dir, children }) => {
    const file = path.join(dir, 'plant.yaml');
    const httpPort = await freePort();
    await writeFile(
      file,
      gatewayConfigYaml({
        broker: broker.url,
        influx: influx.url,
        database: DB,
        fields: burst.workload.fields,
        qos: burst.workload.qos,
        attest,
        httpPort,
      }),
    );
    const profileAt = args.indexOf('--profile');
    const profile = profileAt >= 0 ? args[profileAt + 1] : undefined;
    const flagsAt = args.indexOf('--gateway-node-flags');
    const flags = flagsAt >= 0 ? (args[flagsAt + 1] ?? '').split(' ').filter((f) => f !== '') : [];
    const child = await spawnReady(
      [
        ...GATEWAY_NODE_FLAGS,
        ...flags,
        ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : []),
        path.join(ROOT, 'bin/shugai.mjs'),
        'gateway',
        '--config',
        file,
      ],
      (l) => l.includes('gateway started'),
      children,
      { cwd: dir, echo: echo(attest ? 'gateway' : 'gateway-no-attest'), env: GATEWAY_ENV },
    );
    return { child, counters: () => gatewayCounters(httpPort) };
  };
}

/** Where the gateway's samples went, by its own metrics; what a loss needs explained. */
async function gatewayCounters(httpPort: number): Promise<string> {
  const sum = (name: string) => metric(httpPort, name);
  const received = await metricBy(httpPort, 'shugai_collector_samples_total');
  const errors = await metricBy(httpPort, 'shugai_collector_errors_total', 'kind');
  const figures = [
    `received ${fmt([...received.values()].reduce((a, b) => a + b, 0))}`,
    `stored ${fmt(await sum('shugai_sink_samples_total'))} (with its own points)`,
    `in ${fmt(await sum('shugai_sink_write_seconds_count'))} writes`,
    `duplicates ${fmt(await sum('shugai_ingest_duplicate_samples_total'))}`,
    `conflicting ${fmt(await sum('shugai_ingest_conflicting_samples_total'))}`,
    `buffer dropped ${fmt(await sum('shugai_buffer_dropped_samples_total'))}`,
    `sink dropped ${fmt(await sum('shugai_sink_dropped_samples_total'))}`,
    `backlog ${fmt(await sum('shugai_sink_backlog_samples'))}`,
    `collector errors ${[...errors].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none'}`,
  ];
  return figures.join('; ');
}

/**
 * Node-RED and node-red-contrib-influxdb, installed with npm once into a folder under the OS temp
 * dir named by their versions; undefined (with one loud line) when not installed and `install` is
 * false, or when npm fails (e.g. no registry).
 */
async function nodeRedInstall(install: boolean): Promise<string | undefined> {
  const dir = path.join(
    tmpdir(),
    `shugai-bench-node-red-${NODE_RED_VERSION}-influxdb-${INFLUXDB_NODES_VERSION}`,
  );
  const complete = (root: string) =>
    existsSync(path.join(root, 'node_modules/node-red/red.js')) &&
    existsSync(path.join(root, 'node_modules/node-red-contrib-influxdb/influxdb.js'));
  if (complete(dir)) return dir;
  if (!install) {
    console.log(`!!! Node-RED SKIPPED: not installed in ${dir} (a full run installs it)`);
    return undefined;
  }
  // Installed aside and renamed, so an interrupted install is never taken for a cached one.
  const staging = `${dir}.partial-${process.pid}`;
  await mkdir(staging, { recursive: true });
  await writeFile(path.join(staging, 'package.json'), '{ "private": true }\n');
  console.log(
    `installing node-red@${NODE_RED_VERSION} and node-red-contrib-influxdb@${INFLUXDB_NODES_VERSION}…`,
  );
  const npm = spawn(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--omit=dev',
      '--prefix',
      staging,
      `node-red@${NODE_RED_VERSION}`,
      `node-red-contrib-influxdb@${INFLUXDB_NODES_VERSION}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  npm.stdout.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-2000);
  });
  npm.stderr.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-2000);
  });
  const timer = setTimeout(() => npm.kill('SIGTERM'), 15 * 60_000);
  const code = await new Promise<number | null>((resolve) => {
    npm.once('error', () => resolve(-1));
    npm.once('exit', resolve);
  });
  clearTimeout(timer);
  if (code !== 0 || !complete(staging)) {
    await rm(staging, { recursive: true, force: true });
    const last = output.trim().split('\n').slice(-3).join(' | ');
    console.log(`!!! Node-RED SKIPPED: npm install failed (exit ${code}; no registry?): ${last}`);
    return undefined;
  }
  await rename(staging, dir).catch(async () => {
    await rm(staging, { recursive: true, force: true }); // another run installed it meanwhile
  });
  return complete(dir) ? dir : undefined;
}

/**
 * mqtt in (QoS of the workload, parsed JSON) → function (the gateway's point shape; ten points for a
 * ten-value message) → join (1,000 messages into an array, or after 1 s) → [flatten the ten-value
 * arrays] → influxdb batch (InfluxDB 1.x, precision ms).
 */
function nodeRedFlow(w: Workload, broker: Mosquitto, influx: InfluxDB): unknown[] {
  const toPoints = `
const slash = msg.topic.indexOf('/', ${CONSUMER_PREFIX.length});
const device = msg.topic.slice(${CONSUMER_PREFIX.length}, slash);
const tag = msg.topic.slice(slash + 1);
const p = msg.payload;
const received = Date.now();
const point = (tagId, value) => ({
  measurement: 'samples',
  tags: { device, gateway: 'node-red', quality: 'good', tag_id: tagId },
  fields: { value, received },
  timestamp: p.ts,
});
if (tag !== 'all') {
  msg.payload = point(tag, p.v);
  return msg;
}
const points = [];
for (const key in p) if (key !== 'ts') points.push(point(key, p[key]));
msg.payload = points;
return msg;`;
  const flatten = w.fields > 1;
  const tab = 'bench-tab';
  // Node-RED takes a node without a position (x, y) for a config node.
  const at = (column: number) => ({ z: tab, x: 150 * column, y: 100 });
  return [
    { id: tab, type: 'tab', label: 'ingest-compare' },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(broker.port),
      clientid: 'bench-node-red',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
    },
    {
      id: 'influx',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(influx.port),
      protocol: 'http',
      database: DB,
      name: 'influxdb',
      usetls: false,
      influxdbVersion: '1.x',
    },
    {
      id: 'in',
      ...at(1),
      type: 'mqtt in',
      topic: topicFilter(w),
      qos: String(w.qos),
      datatype: 'json',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['points']],
    },
    { id: 'points', ...at(2), type: 'function', func: toPoints, outputs: 1, wires: [['join']] },
    {
      id: 'join',
      ...at(3),
      type: 'join',
      mode: 'custom',
      build: 'array',
      property: 'payload',
      propertyType: 'msg',
      key: 'topic',
      joiner: '\\n',
      joinerType: 'str',
      accumulate: false,
      timeout: '1',
      count: '1000',
      wires: [[flatten ? 'flatten' : 'write']],
    },
    ...(flatten
      ? [
          {
            id: 'flatten',
            ...at(4),
            type: 'function',
            func: 'msg.payload = msg.payload.flat();\nreturn msg;',
            outputs: 1,
            wires: [['write']],
          },
        ]
      : []),
    { id: 'write', ...at(5), type: 'influxdb batch', influxdb: 'influx', precision: 'ms', wires: [] },
  ];
}

function startNodeRed(install: string): Start {
  return async ({ burst, broker, influx, dir, children }) => {
    const userDir = path.join(dir, 'node-red');
    await mkdir(userDir);
    await symlink(path.join(install, 'node_modules'), path.join(userDir, 'node_modules'));
    await writeFile(
      path.join(userDir, 'flows.json'),
      JSON.stringify(nodeRedFlow(burst.workload, broker, influx), null, 1),
    );
    const settings = path.join(userDir, 'settings.js');
    // Headless: no editor, no admin API, no HTTP server; its log says when the broker is connected.
    await writeFile(
      settings,
      [
        'module.exports = {',
        `  userDir: ${JSON.stringify(userDir)},`,
        "  flowFile: 'flows.json',",
        '  credentialSecret: false,',
        '  httpAdminRoot: false,',
        '  httpNodeRoot: false,',
        "  uiHost: '127.0.0.1',",
        "  logging: { console: { level: 'info', metrics: false, audit: false } },",
        '  externalModules: { autoInstall: false },',
        '};',
        '',
      ].join('\n'),
    );
    const child = await spawnReady(
      [path.join(install, 'node_modules/node-red/red.js'), '--settings', settings, '--userDir', userDir],
      (l) => l.includes('Connected to broker'),
      children,
      { cwd: userDir, echo: echo('node-red') },
    );
    return { child };
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/**
 * Waits until InfluxDB holds the whole burst: its write counter (cheap) is read every 100 ms, and
 * count() (expensive) runs only once enough points were written, at most once a second and only
 * after new writes. Done at the poll that saw the last write; gives up `STALL_MS` after the last
 * write once the burst is published, or when the contender exits. Returns when the last write was seen.
 */
async function waitStored(
  influx: InfluxDB,
  burst: Burst,
  written0: number,
  published: () => boolean,
  alive: () => boolean,
): Promise<number> {
  let written = written0;
  let lastWriteAt = performance.now();
  let counted = -1;
  let countedAt = 0;
  for (;;) {
    await sleep(100);
    const now = performance.now();
    const current = await influxPointsWritten(influx, DB);
    if (current > written) {
      written = current;
      lastWriteAt = now;
    }
    if (written - written0 >= burst.total && written !== counted && now - countedAt >= 1000) {
      counted = written;
      countedAt = now;
      let at = lastWriteAt;
      if ((await storedSince(influx, burst.base)) >= burst.total) {
        // A write that landed between the last poll and count() finished it.
        if ((await influxPointsWritten(influx, DB)) > written) at = performance.now();
        return at;
      }
    }
    if (!alive() || (published() && now - lastWriteAt > STALL_MS)) return lastWriteAt;
  }
}

async function runContender(contender: Contender, start: Start, burst: Burst): Promise<Outcome> {
  const dir = await mkdtemp(path.join(tmpdir(), `shugai-bench-ingest-${contender}-`));
  const [broker, influx] = await Promise.all([startMosquitto(brokerConfig()), startInfluxDB()]);
  const children: ChildProcess[] = [];
  let publisher: MqttBurstPublisher | undefined;
  try {
    await influx.query(`CREATE DATABASE "${DB}"`);
    const { child, counters } = await start({ burst, broker, influx, dir, children });
    let exit: string | undefined;
    child.once('exit', (code, signal) => {
      exit = `exited with ${code ?? signal}`;
    });
    publisher = await MqttBurstPublisher.connect(broker.port, 'bench-publisher', burst.workload.qos);
    const pub = publisher;
    let warm = 0;
    const live = await poll(
      async () => {
        if (exit) throw new Error(`${CONTENDERS[contender]} ${exit} before storing anything`);
        await pub.send([warmupMessage(burst.workload, burst.base - 60_000 + warm++)]);
        return (await storedBefore(influx, burst.base)) > 0;
      },
      60_000,
      250,
    );
    if (!live) throw new Error(`${CONTENDERS[contender]} stored none of its warm-up messages within 60 s`);
    await sleep(1500); // anything of the warm-up still on its way (Node-RED's join waits 1 s)
    const written0 = await influxPointsWritten(influx, DB);
    const acked0 = pub.acked;

    const sampler = new ProcessSampler(child.pid!);
    const brokerCpu0 = processCpuSeconds(broker.process.pid!);
    const othersCpu0 = processCpuSeconds(influx.process.pid!) + processCpuSeconds(process.pid);
    const started = performance.now();
    let publishedAt = 0;
    let publishError: Error | undefined;
    const publishing = pub.send(burstMessages(burst.rounds, burst.base, burst.workload.fields)).then(
      () => {
        publishedAt = performance.now();
      },
      (error: Error) => {
        publishError = error;
        publishedAt = performance.now();
      },
    );
    const storedAt = await waitStored(
      influx,
      burst,
      written0,
      () => publishedAt > 0,
      () => exit === undefined,
    );
    const usage = sampler.stop();
    const brokerCpu = processCpuSeconds(broker.process.pid!) - brokerCpu0;
    const othersCpu = processCpuSeconds(influx.process.pid!) + processCpuSeconds(process.pid) - othersCpu0;
    await publishing;
    if (publishError) throw publishError;
    const stored = await storedSince(influx, burst.base);
    const ownCounters = exit ? undefined : await counters?.().catch((error: Error) => error.message);
    const published = (pub.acked - acked0) * (burst.workload.fields === 1 ? 1 : TAGS_PER_DEVICE);
    const seconds = (storedAt - started) / 1000;
    return {
      contender,
      seconds,
      rate: stored / seconds,
      publishSeconds: (publishedAt - started) / 1000,
      published,
      stored,
      lost: published - stored,
      cpuUsPerPoint: (usage.cpuSeconds * 1e6) / Math.max(1, stored),
      brokerUsPerPoint: (brokerCpu * 1e6) / Math.max(1, stored),
      allUsPerPoint: ((usage.cpuSeconds + brokerCpu + othersCpu) * 1e6) / Math.max(1, stored),
      rssMedianMb: usage.rssMedianMb,
      rssPeakMb: usage.rssPeakMb,
      ...(exit ? { crashed: exit } : {}),
      ...(ownCounters ? { counters: ownCounters } : {}),
    };
  } finally {
    await publisher?.close().catch(() => undefined);
    await Promise.all(children.map((c) => stopChild(c)));
    await Promise.all([broker.stop(), influx.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureReferences(burst: Burst): Promise<References> {
  const broker = await startMosquitto(brokerConfig());
  let discard: number;
  try {
    const subscriber = await DiscardingSubscriber.connect(
      broker.port,
      'bench-discard',
      topicFilter(burst.workload),
      burst.workload.qos,
    );
    const publisher = await MqttBurstPublisher.connect(broker.port, 'bench-publisher', burst.workload.qos);
    const started = performance.now();
    await publisher.send(burstMessages(burst.rounds, burst.base, burst.workload.fields));
    await poll(
      () => subscriber.received >= burst.messages || performance.now() - subscriber.lastAt > 10_000,
      STALL_MS,
      20,
    );
    discard = (subscriber.received / burst.messages) * (burst.total / ((subscriber.lastAt - started) / 1000));
    await publisher.close();
    subscriber.close();
  } finally {
    await broker.stop();
  }
  const influx = await startInfluxDB();
  try {
    const rounds = Math.min(burst.rounds, Math.ceil(BULK_POINTS / (MQTT_DEVICES * TAGS_PER_DEVICE)));
    const bulk = await influxBulkRate(
      influx,
      DB,
      lineProtocolLines(burstSamples(rounds, burst.base), 'bulk'),
    );
    return { discard, bulkMedian: median(bulk.perPost), bulkOverall: bulk.overall };
  } finally {
    await influx.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const TARGETS = { ofBare: 0.9, ofNodeRed: 2, peakRssMb: 150, cpuUsTenValues: 4 };

interface RunResult {
  references: References;
  outcomes: Outcome[];
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN;
const ratioText = (r: number) => (Number.isNaN(r) ? '—' : fmt(r, 2));

/** Each contender's figures, with its ratios to the bare consumer and to Node-RED of the same run. */
interface Row extends Outcome {
  ofBare: number;
  ofNodeRed: number;
}

function rows(result: RunResult): Row[] {
  const rate = (c: Contender) => result.outcomes.find((o) => o.contender === c)?.rate;
  return result.outcomes.map((o) => ({
    ...o,
    ofBare: ratio(o.rate, rate('bare')),
    ofNodeRed: ratio(o.rate, rate('node-red')),
  }));
}

function printTable(title: string, references: References, table: Row[]): void {
  console.log(title);
  console.log(
    `  references: publisher → Mosquitto → discarding subscriber ${fmt(references.discard)} samples/s; ` +
      `InfluxDB bulk load ${fmt(references.bulkMedian)} points/s (median POST; overall ${fmt(references.bulkOverall)})`,
  );
  const header = [
    'contender'.padEnd(22),
    'samples/s'.padStart(10),
    '× bare'.padStart(7),
    '× N-RED'.padStart(8),
    'CPU µs/pt'.padStart(10),
    'broker µs/pt'.padStart(13),
    'all µs/pt'.padStart(10),
    'RSS med/peak MB'.padStart(16),
    'lost'.padStart(9),
    's'.padStart(7),
    'pub s'.padStart(6),
  ];
  console.log(`  ${header.join(' ')}`);
  for (const r of table)
    console.log(
      `  ${[
        CONTENDERS[r.contender].padEnd(22),
        fmt(r.rate).padStart(10),
        ratioText(r.ofBare).padStart(7),
        ratioText(r.ofNodeRed).padStart(8),
        fmt(r.cpuUsPerPoint, 1).padStart(10),
        fmt(r.brokerUsPerPoint, 1).padStart(13),
        fmt(r.allUsPerPoint, 1).padStart(10),
        `${fmt(r.rssMedianMb)} / ${fmt(r.rssPeakMb)}`.padStart(16),
        fmt(r.lost).padStart(9),
        fmt(r.seconds, 1).padStart(7),
        fmt(r.publishSeconds, 1).padStart(6),
      ].join(' ')}${r.crashed ? `  CRASHED: ${r.crashed}` : ''}`,
    );
  for (const r of table)
    if (r.counters && (r.lost !== 0 || args.includes('--verbose')))
      console.log(`    ${CONTENDERS[r.contender]}'s own counters: ${r.counters}`);
}

/** Medians over the runs of every figure, ratios included (each taken within its run). */
function medianRows(results: RunResult[]): { references: References; table: Row[] } {
  const all = results.flatMap(rows);
  const contenders = [...new Set(all.map((r) => r.contender))];
  const m = (values: number[]) => median(values.filter((v) => !Number.isNaN(v)));
  const table = contenders.map((contender) => {
    const mine = all.filter((r) => r.contender === contender);
    const pick = (f: (r: Row) => number) => m(mine.map(f));
    const crashed = mine.find((r) => r.crashed)?.crashed;
    return {
      contender,
      seconds: pick((r) => r.seconds),
      rate: pick((r) => r.rate),
      publishSeconds: pick((r) => r.publishSeconds),
      published: pick((r) => r.published),
      stored: pick((r) => r.stored),
      // Loss is summed, not a median: one lost sample in any run is a loss.
      lost: mine.reduce((n, r) => n + r.lost, 0),
      cpuUsPerPoint: pick((r) => r.cpuUsPerPoint),
      brokerUsPerPoint: pick((r) => r.brokerUsPerPoint),
      allUsPerPoint: pick((r) => r.allUsPerPoint),
      rssMedianMb: pick((r) => r.rssMedianMb),
      rssPeakMb: Math.max(...mine.map((r) => r.rssPeakMb)),
      ofBare: pick((r) => r.ofBare),
      ofNodeRed: pick((r) => r.ofNodeRed),
      ...(crashed ? { crashed } : {}),
    };
  });
  const references = {
    discard: m(results.map((r) => r.references.discard)),
    bulkMedian: m(results.map((r) => r.references.bulkMedian)),
    bulkOverall: m(results.map((r) => r.references.bulkOverall)),
  };
  return { references, table };
}

/**
 * What rules out ≥ 2× Node-RED here, if anything: Mosquitto is one thread, so it delivers at most
 * 1 / (its CPU a sample) samples/s even with a whole core to itself; and every process of the run
 * together (at the CPU a sample they spent in it) cannot use more than the machine's cores.
 */
function whyUnreachable(row: Row): string {
  const needed = (row.rate / row.ofNodeRed) * TARGETS.ofNodeRed;
  const brokerCeiling = 1e6 / row.brokerUsPerPoint;
  if (needed > brokerCeiling)
    return ` (unreachable here: that is ${fmt(needed)} samples/s; Mosquitto spent ${fmt(row.brokerUsPerPoint, 1)} µs a sample, at most ${fmt(brokerCeiling)}/s on a whole core)`;
  const cores = availableParallelism();
  const coresNeeded = (needed * row.allUsPerPoint) / 1e6;
  if (coresNeeded > cores)
    return ` (that is ${fmt(needed)} samples/s: at this run's ${fmt(row.allUsPerPoint, 1)} µs a sample over all processes, ${fmt(coresNeeded, 1)} cores of ${cores})`;
  return '';
}

function verdict(w: Workload, row: Row): string {
  const misses: string[] = [];
  if (!(row.ofBare >= TARGETS.ofBare)) misses.push(`${ratioText(row.ofBare)}× bare < ${TARGETS.ofBare}`);
  if (!(row.ofNodeRed >= TARGETS.ofNodeRed))
    misses.push(`${ratioText(row.ofNodeRed)}× Node-RED < ${TARGETS.ofNodeRed}${whyUnreachable(row)}`);
  if (row.lost !== 0) misses.push(`${fmt(row.lost)} lost`);
  if (!(row.rssPeakMb <= TARGETS.peakRssMb))
    misses.push(`peak RSS ${fmt(row.rssPeakMb)} MB > ${TARGETS.peakRssMb}`);
  if (w.fields > 1 && !(row.cpuUsPerPoint <= TARGETS.cpuUsTenValues))
    misses.push(`${fmt(row.cpuUsPerPoint, 1)} µs/point > ${TARGETS.cpuUsTenValues}`);
  const name = `${CONTENDERS[row.contender]}, ${w.label}:`;
  return misses.length === 0 ? `${name} MEETS the targets` : `${name} misses: ${misses.join('; ')}`;
}

function markdown(w: Workload, references: References, table: Row[]): string {
  const out = [
    `| ${w.label} | samples/s | × bare | × Node-RED | CPU µs/point | broker µs/point | all µs/point | RSS median / peak MB | lost |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...table.map(
      (r) =>
        `| ${CONTENDERS[r.contender]} | ${fmt(r.rate)} | ${ratioText(r.ofBare)} | ${ratioText(r.ofNodeRed)} | ` +
        `${fmt(r.cpuUsPerPoint, 1)} | ${fmt(r.brokerUsPerPoint, 1)} | ${fmt(r.allUsPerPoint, 1)} | ${fmt(r.rssMedianMb)} / ${fmt(r.rssPeakMb)} | ${fmt(r.lost)} |`,
    ),
    `| publisher → Mosquitto → discard | ${fmt(references.discard)} | | | | | | | |`,
    `| InfluxDB bulk load (median POST) | ${fmt(references.bulkMedian)} | | | | | | | |`,
  ];
  return out.join('\n');
}

function versions(nodeRed: string | undefined): string {
  const first = (command: string, commandArgs: string[]) => {
    try {
      return execFileSync(command, commandArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]!
        .trim();
    } catch (error) {
      // `mosquitto -h` prints its version and exits 3.
      const out = (error as { stdout?: string }).stdout ?? '';
      return out.split('\n')[0]!.trim() || 'unknown';
    }
  };
  return [
    `Node ${process.version}`,
    first(mosquittoBinary.path!, ['-h']),
    first(influxdBinary.path!, ['version']),
    nodeRed
      ? `node-red ${NODE_RED_VERSION}, node-red-contrib-influxdb ${INFLUXDB_NODES_VERSION}`
      : 'no Node-RED',
  ].join('; ');
}

// ---------------------------------------------------------------------------------------------

async function bench(): Promise<void> {
  ensureCurrentBuild();
  const smoke = args.includes('--smoke');
  const runs = numberOption(args, '--runs', smoke ? 1 : 3);
  const listOption = (name: string, fallback: string) => {
    const at = args.indexOf(name);
    return (at >= 0 ? args[at + 1]! : fallback).split(',');
  };
  const workloadNames = listOption('--workloads', 'one-qos0,one-qos1,ten-qos1');
  const workloads = WORKLOADS.filter((w) => workloadNames.includes(w.name));
  const wanted = listOption('--contenders', 'bare,node-red,gateway') as Contender[];
  if (workloads.length === 0 || wanted.some((c) => !(c in CONTENDERS))) {
    console.error(`ingest-compare: unknown workload or contender in ${args.join(' ')}`);
    process.exitCode = 2;
    return;
  }
  if (!mosquittoBinary.available || !influxdBinary.available) {
    console.error('ingest-compare: needs mosquitto and influxd installed');
    process.exitCode = 1;
    return;
  }
  const nodeRed = wanted.includes('node-red') ? await nodeRedInstall(!smoke) : undefined;
  const contenders = wanted.filter((c) => c !== 'node-red' || nodeRed);
  const starters: Record<Contender, Start> = {
    bare: startBare,
    'node-red': startNodeRed(nodeRed ?? ''),
    gateway: startGateway(true),
    'gateway-no-attest': startGateway(false),
  };

  const began = Date.now();
  const loads: number[] = [loadavg()[0]!];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 10_000);
  console.log(
    `ingest-compare ${new Date(began).toISOString()}: ${runs} run(s); ${versions(nodeRed)}; ` +
      `Mosquitto max_queued_messages 0, max_inflight_messages ${numberOption(args, '--inflight', 20)}`,
  );
  const results = new Map<string, RunResult[]>();
  let broken = false;
  try {
    for (let run = 1; run <= runs; run++)
      for (const workload of workloads) {
        const perMessage = workload.fields === 1 ? 1 : TAGS_PER_DEVICE;
        const samples = numberOption(args, '--samples', smoke ? workload.smokeSamples : workload.samples);
        const rounds = Math.ceil(samples / (MQTT_DEVICES * TAGS_PER_DEVICE));
        const total = rounds * MQTT_DEVICES * TAGS_PER_DEVICE;
        const burst: Burst = {
          workload,
          rounds,
          total,
          messages: total / perMessage,
          base: Date.now() - 3_600_000,
        };
        const references = await measureReferences(burst);
        const outcomes: Outcome[] = [];
        for (const contender of contenders) {
          const outcome = await runContender(contender, starters[contender], burst).catch(
            (error: Error): Outcome => ({
              contender,
              seconds: Number.NaN,
              rate: Number.NaN,
              publishSeconds: Number.NaN,
              published: total,
              stored: 0,
              lost: total,
              cpuUsPerPoint: Number.NaN,
              brokerUsPerPoint: Number.NaN,
              allUsPerPoint: Number.NaN,
              rssMedianMb: Number.NaN,
              rssPeakMb: Number.NaN,
              crashed: error.message.split('\n').slice(0, 3).join(' '),
            }),
          );
          outcomes.push(outcome);
          // Loss fails the smoke run for our own contenders; Node-RED's loss is its own.
          if ((outcome.lost !== 0 || outcome.crashed) && contender !== 'node-red') broken = true;
        }
        const result = { references, outcomes };
        results.set(workload.name, [...(results.get(workload.name) ?? []), result]);
        printTable(
          `\nrun ${run}/${runs}, ${workload.label}: ${fmt(total)} samples in ${fmt(burst.messages)} messages ` +
            `(load average ${fmt(loadavg()[0]!, 1)})`,
          references,
          rows(result),
        );
      }
  } finally {
    clearInterval(loadTimer);
  }

  loads.push(loadavg()[0]!);
  console.log(
    `\n== medians over ${runs} run(s); ${fmt((Date.now() - began) / 60_000, 1)} min; ` +
      `load average (1 min) during the run: median ${fmt(median(loads), 1)}, ` +
      `${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)} ==`,
  );
  const verdicts: string[] = [];
  const tables: string[] = [];
  for (const workload of workloads) {
    const { references, table } = medianRows(results.get(workload.name) ?? []);
    printTable(`\n${workload.label}`, references, table);
    tables.push(markdown(workload, references, table));
    for (const row of table) if (row.contender.startsWith('gateway')) verdicts.push(verdict(workload, row));
  }
  console.log(
    `\ntargets (issue #15): ≥ ${TARGETS.ofBare}× bare, ≥ ${TARGETS.ofNodeRed}× Node-RED, 0 lost, ` +
      `peak RSS ≤ ${TARGETS.peakRssMb} MB, ≤ ${TARGETS.cpuUsTenValues} µs/point on ten values`,
  );
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`\n${tables.join('\n\n')}`);
  if (broken) {
    console.error('ingest-compare: samples lost or a contender crashed (see the tables)');
    if (smoke) process.exitCode = 1;
  }
}

const bareAt = args.indexOf('--bare-consumer');
if (bareAt !== -1) await runBareConsumer(JSON.parse(args[bareAt + 1]!));
else await bench();
