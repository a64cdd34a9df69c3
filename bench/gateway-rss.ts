/**
 * Memory of a gateway reading 10,000 tags: `node bin/shugai.mjs gateway --config <generated>` as a
 * child process polling 250 Modbus TCP devices × 40 tags every second (5 modbus-serial ServerTCP
 * peers in this process, 50 unit ids each; registers change every second) and writing to a real
 * InfluxDB. Its RSS is sampled every second (median and max) next to the baseline: the same Node
 * with the same modules loaded (`shugai gateway`'s commands registered) and nothing running. The
 * target from gateway-lessons.md: a Node gateway should stay well under 150 MB.
 *
 *   node --import tsx bench/gateway-rss.ts           # 180 s of samples after 10 s of settling
 *   node --import tsx bench/gateway-rss.ts --smoke   # 10 s; exits 1 if the gateway stores too little
 *   options: --seconds S
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import modbusSerial from 'modbus-serial';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../test/services/influxdb.ts';
import { freePort, waitForPort } from '../test/services/ports.ts';
import {
  cpuMeter,
  ensureCurrentBuild,
  fmt,
  GATEWAY_ENV,
  GATEWAY_NODE_FLAGS,
  influxPoints,
  line,
  median,
  metric,
  metricBy,
  numberOption,
  poll,
  processRssMb,
  ROOT,
  sleep,
  spawnReady,
  stopChild,
} from './gateway-shared.ts';

const args = process.argv.slice(2);
const LINKS = 5;
const DEVICES_PER_LINK = 50;
const TAGS_PER_DEVICE = 40;
const TAGS = LINKS * DEVICES_PER_LINK * TAGS_PER_DEVICE;

/** Baseline mode: load what `shugai gateway` loads (its commands registered), then do nothing. */
async function idle(): Promise<void> {
  const [{ Command }, { registerCommands }] = await Promise.all([
    import('commander'),
    import('../cli/commands.ts'),
  ]);
  await registerCommands(new Command('shugai'), ['gateway']);
  setInterval(() => undefined, 1000);
  console.log('READY');
}

/** 25 uint16 counters, 10 float32 and 5 bits of a status word: 46 registers, one read per device. */
function deviceTags(): string {
  const tags: string[] = [];
  for (let i = 0; i < 25; i++)
    tags.push(`{ id: c${i}, type: integer, register: holding, address: ${i}, dataType: uint16 }`);
  for (let i = 0; i < 10; i++)
    tags.push(`{ id: f${i}, type: number, register: holding, address: ${25 + 2 * i}, dataType: float32 }`);
  for (let b = 0; b < 5; b++)
    tags.push(`{ id: s${b}, type: boolean, register: holding, address: 45, dataType: bit, bit: ${b} }`);
  return `[${tags.join(', ')}]`;
}

function configYaml(ports: number[], influx: InfluxDB, httpPort: number): string {
  const tags = deviceTags();
  return [
    'gateway: { id: bench-rss, dataDir: ./data }',
    `http: { port: ${httpPort} }`,
    'sinks:',
    `  - { name: influx, type: influxdb, version: 1, url: "${influx.url}", database: rss }`,
    'connections:',
    ...ports.flatMap((port, link) => [
      `  - id: line-${link}`,
      '    protocol: modbus',
      '    transport: tcp',
      '    host: 127.0.0.1',
      `    port: ${port}`,
      '    addressBase: 0',
      '    pollIntervalMs: 1000',
      '    devices:',
      ...Array.from(
        { length: DEVICES_PER_LINK },
        (_, d) =>
          `      - { id: m-${link}-${d}, unitId: ${d + 1}, production: true, businessLinks: [生产管控], tags: ${tags} }`,
      ),
    ]),
    '',
  ].join('\n');
}

/** A Modbus TCP peer answering every unit id; values change every second. */
async function startPeer(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const vector = {
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number) => {
      const second = Math.floor(Date.now() / 1000);
      return Array.from({ length }, (_, i) => (unitID * 131 + (addr + i) * 7 + second) & 0xffff);
    },
  };
  const server = new modbusSerial.ServerTCP(vector, { host: '127.0.0.1', port, unitID: 255 });
  await waitForPort(port, 10_000);
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const byLabel = (sums: Map<string, number>) =>
  [...sums].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none';

/** RSS of a process sampled once a second for `seconds`. */
async function sampleRss(pid: number, seconds: number): Promise<number[]> {
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    rss.push(processRssMb(pid));
  }
  return rss;
}

async function bench(): Promise<void> {
  ensureCurrentBuild();
  const smoke = args.includes('--smoke');
  const seconds = numberOption(args, '--seconds', smoke ? 6 : 180);
  if (!influxdBinary.available) {
    console.error('gateway-rss: needs influxd installed');
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-rss-'));
  const influx = await startInfluxDB();
  const peers = await Promise.all(Array.from({ length: LINKS }, () => startPeer()));
  const children: ChildProcess[] = [];
  let broken = false;
  try {
    const file = path.join(dir, 'plant.yaml');
    const httpPort = await freePort();
    await writeFile(
      file,
      configYaml(
        peers.map((p) => p.port),
        influx,
        httpPort,
      ),
    );
    // The baseline starts beside the gateway: memory barely depends on the CPU they share.
    const [baseline, gateway] = await Promise.all([
      spawnReady(
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--idle'],
        (l) => l === 'READY',
        children,
      ),
      spawnReady(
        [...GATEWAY_NODE_FLAGS, path.join(ROOT, 'bin/shugai.mjs'), 'gateway', '--config', file],
        (l) => l.includes('gateway started'),
        children,
        { env: GATEWAY_ENV },
      ),
    ]);
    const idleRss = await sampleRss(baseline.pid!, smoke ? 3 : 10);
    baseline.kill('SIGTERM');
    const settled = await poll(
      async () => (await metric(httpPort, 'shugai_sink_samples_total')) > TAGS,
      30_000,
    );
    if (!settled) throw new Error('the gateway stored nothing within 30 s');
    await sleep(smoke ? 1000 : 10_000);
    const meter = cpuMeter({ gateway: gateway.pid! });
    const stored0 = await metric(httpPort, 'shugai_sink_samples_total');
    const t0 = performance.now();
    const rss = await sampleRss(gateway.pid!, seconds);
    const cpu = meter().gateway!;
    const rate =
      ((await metric(httpPort, 'shugai_sink_samples_total')) - stored0) / ((performance.now() - t0) / 1000);
    const bad = (await metricBy(httpPort, 'shugai_collector_samples_total', 'quality')).get('bad') ?? 0;
    const errors = await metricBy(httpPort, 'shugai_collector_errors_total', 'kind');
    const stored = await metricBy(httpPort, 'shugai_sink_samples_total');
    const backlog = await metric(httpPort, 'shugai_sink_backlog_samples');
    const inInflux = await influxPoints(influx, 'rss');

    console.log(
      `Gateway RSS: ${fmt(TAGS)} Modbus TCP tags (${LINKS} links × ${DEVICES_PER_LINK} devices × ${TAGS_PER_DEVICE}) ` +
        `at 1 s → InfluxDB, ${seconds} samples of 1 s`,
    );
    line(
      'gateway RSS MB (median / max)',
      `${fmt(median(rss), 1)} / ${fmt(Math.max(...rss), 1)}   (first ${fmt(rss[0]!, 1)}, last ${fmt(rss.at(-1)!, 1)})`,
    );
    line('idle, same modules, RSS MB (median)', `${fmt(median(idleRss), 1)}   (baseline)`);
    line('gateway − idle', `${fmt(median(rss) - median(idleRss), 1)} MB; target: well under 150 MB in all`);
    line('samples stored/s; CPU % of a core', `${fmt(rate)} (${fmt(TAGS)} expected); ${fmt(cpu)}`);
    line(
      'bad samples; collector errors',
      `${fmt(bad)}; ${byLabel(errors)}; backlog at the end ${fmt(backlog)}`,
    );
    line(
      'stored in all / points in InfluxDB',
      `${fmt(stored.get('') ?? 0)} / ${fmt(inInflux)} (includes the gateway's own points, e.g. attestations)`,
    );
    // The peer's registers change every second, so now and then two of them spell a NaN float, which
    // the collector rightly stores as bad (0x104); broken is far fewer samples stored than read, or
    // bad samples as more than 1 % of what was stored.
    if (rate < TAGS * 0.5 || bad > (stored.get('') ?? 0) * 0.01) {
      console.error(
        'gateway-rss: the gateway stored far fewer samples than it reads, or more than 1 % were bad',
      );
      broken = true;
    }
  } finally {
    for (const child of children) await stopChild(child);
    await Promise.all(peers.map((p) => p.close()));
    await influx.stop();
    await rm(dir, { recursive: true, force: true });
  }
  if (broken) process.exitCode = 1;
}

if (args.includes('--idle')) await idle();
else await bench();
