/**
 * Helpers shared by the gateway benches (gateway-mqtt-influx.ts, ingest-compare.ts, gateway-buffer.ts,
 * gateway-rss.ts): medians, another process's (and its children's) CPU and RSS from /proc, starting
 * and stopping child processes, InfluxDB's own bulk-load rate (the baseline every InfluxDB figure is
 * set beside) and the line protocol it is fed, point counts, the MQTT workload (100 devices × 10
 * tags) with a raw-socket publisher fast enough not to be what limits a contender, and the report
 * line format, and the realistic plant the buffer bench reads (10,000 tags on 300 devices, polled
 * once a second). Not a bench itself.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DataType, Device } from '../core/model.ts';
import { toLines } from '../gateway/sinks/line-protocol.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';
import type { InfluxDB } from '../test/services/influxdb.ts';

/** The repository root (bench/..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * bin/shugai.mjs runs dist/ when it is there: a dist/ older than a source file would measure code
 * that is no longer the code (a bench once timed a demo without its platform). Builds it again then.
 */
export function ensureCurrentBuild(): void {
  const built = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(built)) return;
  const since = statSync(built).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name !== 'node_modules' && entry.name !== 'dist' && newer(full);
      return entry.name.endsWith('.ts') && statSync(full).mtimeMs > since;
    });
  if (
    !['cli', 'core', 'collector', 'gateway', 'assessment', 'policies', 'dashboards', 'simulator'].some((d) =>
      newer(path.join(ROOT, d)),
    )
  )
    return;
  console.log('dist/ is older than the sources: building it again (npm run build)');
  execFileSync(process.execPath, [path.join(ROOT, 'bin/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU seconds (user + system) of a process, from /proc (USER_HZ = 100). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in MiB, from /proc (VmRSS). */
export function processRssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** A process and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const tasks = `/proc/${pids[i]}/task`;
    let tids: string[];
    try {
      tids = readdirSync(tasks);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tids) {
      let children = '';
      try {
        children = readFileSync(`${tasks}/${tid}/children`, 'utf8');
      } catch {}
      for (const child of children.split(' ')) if (child.trim()) pids.push(Number(child));
    }
  }
  return pids;
}

/**
 * CPU seconds (user + system) of a process and its descendants, including the children they have
 * already waited for (cutime, cstime). A process that exits between the listing and the read adds 0.
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {}
  }
  return ticks / 100;
}

/** Resident set size of a process and its descendants in MiB. */
export function treeRssMb(pid: number): number {
  let mb = 0;
  for (const p of processTree(pid)) {
    try {
      const rss = processRssMb(p);
      if (Number.isFinite(rss)) mb += rss;
    } catch {}
  }
  return mb;
}

/**
 * Measures a process tree from construction to stop(): CPU seconds used, and RSS sampled every
 * `everyMs` (median and peak).
 */
export class ProcessSampler {
  private readonly rss: number[] = [];
  private readonly cpuAtStart: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.cpuAtStart = treeCpuSeconds(pid);
    this.rss.push(treeRssMb(pid));
    this.timer = setInterval(() => this.rss.push(treeRssMb(pid)), everyMs);
  }

  stop(): { cpuSeconds: number; rssMedianMb: number; rssPeakMb: number } {
    clearInterval(this.timer);
    this.rss.push(treeRssMb(this.pid));
    const rss = this.rss.filter((mb) => mb > 0);
    return {
      cpuSeconds: treeCpuSeconds(this.pid) - this.cpuAtStart,
      rssMedianMb: median(rss),
      rssPeakMb: Math.max(...rss),
    };
  }
}

/** CPU % of one core used by each process between two calls of the returned function. */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  let last = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  let at = performance.now();
  return () => {
    const now = performance.now();
    const current = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
    const seconds = (now - at) / 1000;
    const share = Object.fromEntries(
      Object.keys(pids).map((k) => [k, ((current[k]! - last[k]!) / seconds) * 100]),
    );
    last = current;
    at = now;
    return share;
  };
}

/**
 * Sends SIGTERM to a child process unless it has already exited, SIGKILL after `graceMs`, and
 * resolves once it has exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 60_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/**
 * What the gateway's systemd unit and image set in its environment (deploy/systemd, deploy/docker):
 * glibc's malloc arenas capped at 2, against one per thread that kept freed memory (10–15 MB of
 * RSS at the peaks of a burst), and V8's young generation capped at 8 MB (30–40 MB at the peaks;
 * bench/README.md). A gateway measured here runs as it is deployed.
 */
export const GATEWAY_ENV = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=4' };

/** The node flags the gateway's unit and image start it with: V8's collector on the main thread alone. */
export const GATEWAY_NODE_FLAGS = ['--single-threaded-gc'];

/**
 * Starts `node <args>` in the repository root (recorded in `children`, to be stopped) and resolves
 * once a line of its stdout or stderr satisfies `ready`; rejects with its last output if it exits first.
 */

export function spawnReady(
  args: string[],
  ready: (line: string) => boolean,
  children: ChildProcess[],
  options: { cwd?: string; echo?: (line: string) => void; env?: Record<string, string> } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let tail = '';
    const check = (text: string) => {
      tail = `${tail}${text}\n`.slice(-4000);
      options.echo?.(text);
      if (ready(text)) resolve(child);
    };
    createInterface({ input: child.stdout! }).on('line', check);
    createInterface({ input: child.stderr! }).on('line', check);
    child.once('exit', (code, signal) =>
      reject(new Error(`node ${args.join(' ')} exited with ${code ?? signal}:\n${tail}`)),
    );
  });
}

/** The number after `--name` on the command line, or `fallback`. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export const line = (label: string, value: string) => console.log(`${label.padEnd(38)}${value}`);
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface BulkRate {
  /** Points/s of each POST. */
  perPost: number[];
  /** Points/s over all POSTs, wall clock. */
  overall: number;
  points: number;
}

/** Samples as the line-protocol lines the gateway's InfluxDB sink writes for them (measurement samples). */
export function lineProtocolLines(samples: readonly StoredSample[], gatewayId: string): string[] {
  return toLines(samples, { measurement: 'samples', gatewayId }).trimEnd().split('\n');
}

/**
 * InfluxDB's own bulk-load rate: `lines` POSTed to /write in sequential, uncompressed bodies of
 * `linesPerPost` lines (precision ms), the way a bulk loader feeds it. Each POST must answer 204.
 */
export async function influxBulkRate(
  influx: InfluxDB,
  db: string,
  lines: readonly string[],
  linesPerPost = 10_000,
): Promise<BulkRate> {
  await influx.query(`CREATE DATABASE "${db}"`);
  const url = `${influx.url}/write?db=${encodeURIComponent(db)}&precision=ms`;
  const perPost: number[] = [];
  const started = performance.now();
  for (let i = 0; i < lines.length; i += linesPerPost) {
    const chunk = lines.slice(i, i + linesPerPost);
    const body = `${chunk.join('\n')}\n`;
    const t0 = performance.now();
    const response = await fetch(url, { method: 'POST', body });
    if (response.status !== 204)
      throw new Error(`bulk load: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
    perPost.push(chunk.length / ((performance.now() - t0) / 1000));
  }
  const seconds = (performance.now() - started) / 1000;
  return { perPost, overall: lines.length / seconds, points: lines.length };
}

/** Points in a measurement of a database: every point of ours carries the `received` field. */
export async function influxPoints(
  influx: InfluxDB,
  db: string,
  where = '',
  measurement = 'samples',
): Promise<number> {
  const result = await influx.query(`SELECT count(received) FROM "${measurement}" ${where}`, db);
  const statement = result.results[0];
  if (statement?.error) throw new Error(`InfluxDB count: ${statement.error}`);
  return Number(statement?.series?.[0]?.values[0]?.[1] ?? 0);
}

/** Sums of a metric's series in a gateway's /metrics (Prometheus text), by the value of one label ('' when not grouped). */
export async function metricBy(httpPort: number, name: string, label?: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const sums = new Map<string, number>();
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) continue;
    const key = label === undefined ? '' : (new RegExp(`${label}="([^"]*)"`).exec(l)?.[1] ?? '');
    sums.set(key, (sums.get(key) ?? 0) + Number(l.slice(l.lastIndexOf(' ') + 1)));
  }
  return sums;
}

export const metric = async (httpPort: number, name: string) => (await metricBy(httpPort, name)).get('') ?? 0;

/** Resolves when `check` holds, polling every `everyMs`; false after `timeoutMs`. */
export async function poll(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const TAGS = 10_000;
export const DEVICES = 300;
export const KINDS: { name: string; type: DataType; share: number }[] = [
  { name: 'temp', type: 'number', share: 0.6 },
  { name: 'count', type: 'integer', share: 0.25 },
  { name: 'on', type: 'boolean', share: 0.12 },
  { name: 'state', type: 'string', share: 0.03 },
];
const STATES = ['running', 'idle', 'setup', 'fault'];

/** The realistic plant of the gateway benches: 10,000 tags over 300 devices; each device mixes the kinds in the shares above. */
export function plant(): Device[] {
  return Array.from({ length: DEVICES }, (_, d) => {
    const count = Math.floor(TAGS / DEVICES) + (d < TAGS % DEVICES ? 1 : 0);
    let left = count;
    const tags = KINDS.flatMap((kind, k) => {
      const n = k === KINDS.length - 1 ? left : Math.round(count * kind.share);
      left -= n;
      return Array.from({ length: n }, (_, i) => ({ id: `${kind.name}_${i + 1}`, type: kind.type }));
    });
    return {
      id: `press-${String(d + 1).padStart(3, '0')}`,
      protocol: 'modbus' as const,
      businessLinks: ['生产管控' as const],
      production: true,
      tags,
    };
  });
}

/** One poll of one device at second `s`: values that change like real ones, 0.1 % bad quality. */
export function poll1(device: Device, d: number, s: number, base: number): StoredSample[] {
  const sourceTime = base + s * 1000 + ((d * 37) % 1000);
  return device.tags.map((tag, t) => {
    const bad = (s * 31 + d * 7 + t) % 1000 === 0;
    const value =
      tag.type === 'number'
        ? Math.round((40 + d / 10 + 5 * Math.sin(s / 60 + t)) * 100) / 100
        : tag.type === 'integer'
          ? d * 10_000 + Math.floor(s / (1 + (t % 5)))
          : tag.type === 'boolean'
            ? ((s + t) >> 5) % 2 === 0
            : (STATES[((s >> 6) + d) % STATES.length] as string);
    return {
      device: device.id,
      tag: tag.id,
      type: tag.type,
      value,
      quality: bad ? 'bad' : 'good',
      statusCode: bad ? 2 : 0,
      sourceTime,
      receivedAt: sourceTime + 3 + ((d + t) % 17),
    };
  });
}

/**
 * Points InfluxDB has accepted into a database so far: the sum of its shards' `writePointsOk` from
 * /debug/vars. A few milliseconds, where count() over a million points costs InfluxDB 0.3–0.7 s of
 * CPU; it counts every point written, repeats and other measurements included, so exact counts
 * still come from count().
 */
export async function influxPointsWritten(influx: InfluxDB, db: string): Promise<number> {
  type Stat = { name?: string; tags?: Record<string, string>; values?: Record<string, number> };
  const vars = (await (await fetch(`${influx.url}/debug/vars`)).json()) as Record<string, Stat>;
  let points = 0;
  for (const stat of Object.values(vars))
    if (stat?.name === 'shard' && stat.tags?.database === db) points += stat.values?.writePointsOk ?? 0;
  return points;
}

// The MQTT workload of the gateway benches: 100 devices × 10 tags, `plant/{device}/{tag}` with
// {"v": 23.47, "ts": …}, or `plant/{device}/all` with the ten values and "ts" in one message.

export const MQTT_DEVICES = 100;
export const TAGS_PER_DEVICE = 10;
export const deviceId = (d: number) => `dev-${String(d).padStart(3, '0')}`;

/** The value of tag t of device d at round r: a temperature-like float with two decimals. */
export const valueAt = (d: number, t: number, r: number) =>
  Math.round((20 + d + t / 10 + (r % 500) / 7) * 100) / 100;

/** Round r of a burst is stamped base + r (ms): every tag's times rise through the burst. */
export function* burstMessages(rounds: number, base: number, fields: number): Generator<[string, string]> {
  for (let r = 0; r < rounds; r++)
    for (let d = 0; d < MQTT_DEVICES; d++) {
      const ts = base + r;
      if (fields === 1) {
        for (let t = 0; t < TAGS_PER_DEVICE; t++)
          yield [`plant/${deviceId(d)}/t${t}`, `{"v":${valueAt(d, t, r)},"ts":${ts}}`];
      } else {
        let values = '';
        for (let t = 0; t < TAGS_PER_DEVICE; t++) values += `"t${t}":${valueAt(d, t, r)},`;
        yield [`plant/${deviceId(d)}/all`, `{${values}"ts":${ts}}`];
      }
    }
}

/** The samples of a burst as a gateway stores them (for the bulk-load baseline). */
export function burstSamples(rounds: number, base: number): StoredSample[] {
  const samples: StoredSample[] = [];
  for (let r = 0; r < rounds; r++)
    for (let d = 0; d < MQTT_DEVICES; d++)
      for (let t = 0; t < TAGS_PER_DEVICE; t++) {
        const time = base + r;
        samples.push({
          device: deviceId(d),
          tag: `t${t}`,
          type: 'number',
          value: valueAt(d, t, r),
          quality: 'good',
          statusCode: 0,
          sourceTime: time,
          receivedAt: time + 3,
        });
      }
  return samples;
}

// MQTT 3.1.1 on a raw socket, for the bench's own ends of the broker. mqtt.js publishes ~9,000–14,000
// messages/s on this machine (QoS 1 / QoS 0), slower than the consumers it would measure; PUBLISH
// packets written straight into the socket in 64 KiB chunks leave the broker as the limit.

const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBSCRIBE = 0x82;
const SUBACK = 0x90;
const DISCONNECT = 0xe0;

/** MQTT's variable-length "remaining length", written at `at`; returns the next offset. */
function writeRemainingLength(target: Buffer, at: number, length: number): number {
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 128;
    target[at++] = byte;
  } while (rest > 0);
  return at;
}

function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function controlPacket(first: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.allocUnsafe(5);
  const used = writeRemainingLength(header, 1, body.length);
  header[0] = first;
  return Buffer.concat([header.subarray(0, used), body]);
}

/** Splits an MQTT byte stream into packets: `onPacket(first byte, body)` for each whole one. */
function packetReader(onPacket: (first: number, body: Buffer) => void): (chunk: Buffer) => void {
  let rest: Buffer | undefined;
  return (chunk) => {
    const data = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let whole = false;
      while (i < data.length) {
        const byte = data[i++]!;
        length += (byte & 127) * multiplier;
        multiplier *= 128;
        if ((byte & 128) === 0) {
          whole = true;
          break;
        }
      }
      if (!whole || i + length > data.length) break;
      onPacket(data[at]!, data.subarray(i, i + length));
      at = i + length;
    }
    rest = at < data.length ? Buffer.from(data.subarray(at)) : undefined;
  };
}

/** Connects with MQTT 3.1.1, a clean session and no keep-alive (a burst needs no pings). */
async function connectRaw(
  port: number,
  clientId: string,
  onPacket: (first: number, body: Buffer) => void,
): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let accepted: (code: number) => void = () => {};
  const connack = new Promise<number>((resolve) => {
    accepted = resolve;
  });
  socket.on(
    'data',
    packetReader((first, body) => (first === CONNACK ? accepted(body[1]!) : onPacket(first, body))),
  );
  await once(socket, 'connect');
  socket.write(
    controlPacket(CONNECT, mqttString('MQTT'), Buffer.from([4, 0x02, 0, 0]), mqttString(clientId)),
  );
  const code = await Promise.race([connack, once(socket, 'close').then(() => -1)]);
  if (code !== 0) throw new Error(`MQTT CONNECT of ${clientId} refused (${code})`);
  return socket;
}

/**
 * Publishes a burst at QoS 0 or 1 over a raw socket. QoS 1 keeps up to `window` messages
 * unacknowledged (packet ids cycle through 1–65535). `acked` counts what the broker has: PUBACKed
 * at QoS 1, handed to the kernel at QoS 0.
 */
export class MqttBurstPublisher {
  acked = 0;
  private sent = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly qos: 0 | 1,
    private readonly window: number,
  ) {
    const fail = (error: Error) => {
      this.failure ??= error;
      this.notify();
    };
    socket.on('error', fail);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        fail(new Error('the broker closed the publisher connection'));
        resolve();
      }),
    );
  }

  static async connect(port: number, clientId: string, qos: 0 | 1, window = 10_000) {
    const acked: { publisher?: MqttBurstPublisher } = {};
    const socket = await connectRaw(port, clientId, (first) => {
      if (first !== PUBACK || !acked.publisher) return;
      acked.publisher.acked++;
      acked.publisher.notify();
    });
    acked.publisher = new MqttBurstPublisher(socket, qos, window);
    return acked.publisher;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Resolves at the next PUBACK, written chunk or failure (then throws). */
  private progress(): Promise<void> {
    if (this.failure) throw this.failure;
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Publishes every message and resolves once the broker has them all (see `acked`). */
  async send(messages: Iterable<[string, string]>): Promise<void> {
    const size = 64 * 1024;
    let chunk = Buffer.allocUnsafe(size);
    let used = 0;
    let inChunk = 0;
    const flush = async () => {
      if (used === 0) return;
      const data = chunk.subarray(0, used);
      const count = inChunk;
      chunk = Buffer.allocUnsafe(size);
      used = 0;
      inChunk = 0;
      const drained = this.socket.write(data, (error) => {
        if (error || this.qos === 1) return;
        this.acked += count;
        this.notify();
      });
      if (!drained) await Promise.race([once(this.socket, 'drain'), this.closed]);
      if (this.failure) throw this.failure;
    };
    for (const [topic, payload] of messages) {
      if (this.failure) throw this.failure;
      const topicBytes = Buffer.byteLength(topic);
      const length = 2 + topicBytes + (this.qos === 1 ? 2 : 0) + Buffer.byteLength(payload);
      if (used + length + 5 > size) await flush();
      if (length + 5 > size) throw new Error(`message on ${topic} larger than ${size} bytes`);
      if (this.qos === 1)
        while (this.sent - this.acked >= this.window) {
          await flush();
          await this.progress();
        }
      chunk[used] = PUBLISH | (this.qos << 1);
      used = writeRemainingLength(chunk, used + 1, length);
      chunk.writeUInt16BE(topicBytes, used);
      used += 2 + chunk.write(topic, used + 2);
      if (this.qos === 1) used = chunk.writeUInt16BE((this.sent % 65535) + 1, used);
      used += chunk.write(payload, used);
      this.sent++;
      inChunk++;
    }
    await flush();
    while (this.acked < this.sent) await this.progress();
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.socket.end(Buffer.from([DISCONNECT, 0]));
    await this.closed;
  }
}

/**
 * Subscribes and throws every message away (acknowledging QoS 1 at once): the end of a
 * publisher → broker run that measures what the workload's own side can deliver.
 */
export class DiscardingSubscriber {
  received = 0;
  /** performance.now() of the last message. */
  lastAt = 0;

  private constructor(private readonly socket: net.Socket) {}

  static async connect(port: number, clientId: string, topic: string, qos: 0 | 1) {
    const state: { subscriber?: DiscardingSubscriber; subscribed?: () => void } = {};
    let acks: number[] = [];
    const flushAcks = () => {
      if (acks.length === 0) return;
      socket.write(Buffer.from(acks));
      acks = [];
    };
    const socket = await connectRaw(port, clientId, (first, body) => {
      if (first === SUBACK) state.subscribed?.();
      if ((first & 0xf0) !== PUBLISH || !state.subscriber) return;
      state.subscriber.received++;
      state.subscriber.lastAt = performance.now();
      if ((first & 0x06) === 0) return;
      const id = 2 + body.readUInt16BE(0);
      if (acks.length === 0) queueMicrotask(flushAcks); // one write for the acks of a socket read
      acks.push(PUBACK, 2, body[id]!, body[id + 1]!);
    });
    state.subscriber = new DiscardingSubscriber(socket);
    const subscribed = new Promise<void>((resolve) => {
      state.subscribed = resolve;
    });
    socket.write(controlPacket(SUBSCRIBE, Buffer.from([0, 1]), mqttString(topic), Buffer.from([qos])));
    await subscribed;
    return state.subscriber;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A gateway config for the MQTT workload, every setting not named here at its default (durable
 * buffer with fsync always, InfluxDB sink batching and gzip, attestation on unless `attest` is
 * false). The subscription's QoS is the workload's; the collector keeps a persistent session.
 * `warmup/{device}/{tag}` is a second subscription for warm-up messages outside `plant/`.
 */
export function gatewayConfigYaml(options: {
  broker: string;
  influx: string;
  database: string;
  fields: number;
  qos: number;
  attest: boolean;
  gatewayId?: string;
  /** Its /metrics port; 0 (the default) for any. */
  httpPort?: number;
}): string {
  const subscription =
    options.fields === 1
      ? `      - { topic: "plant/{device}/{tag}", value: v, timestamp: ts, timestampFormat: epoch_ms, qos: ${options.qos} }`
      : [
          `      - topic: "plant/{device}/all"`,
          `        fields: { ${Array.from({ length: TAGS_PER_DEVICE }, (_, t) => `t${t}: t${t}`).join(', ')} }`,
          `        timestamp: ts`,
          `        timestampFormat: epoch_ms`,
          `        qos: ${options.qos}`,
        ].join('\n');
  const tags = Array.from({ length: TAGS_PER_DEVICE }, (_, t) => `{ id: t${t}, type: number }`).join(', ');
  return [
    'gateway:',
    `  id: ${options.gatewayId ?? 'bench-gw'}`,
    '  dataDir: ./data',
    `  attest: ${options.attest}`,
    `http: { port: ${options.httpPort ?? 0} }`,
    'sinks:',
    `  - { name: influx, type: influxdb, version: 1, url: "${options.influx}", database: ${options.database} }`,
    'connections:',
    '  - id: bench-mqtt',
    '    protocol: mqtt',
    `    url: ${options.broker}`,
    '    clientId: shugai-bench-gateway',
    '    subscriptions:',
    subscription,
    '      - { topic: "warmup/{device}/{tag}", value: v, timestamp: ts, timestampFormat: epoch_ms }',
    '    devices:',
    ...Array.from(
      { length: MQTT_DEVICES },
      (_, d) =>
        `      - { id: ${deviceId(d)}, production: true, businessLinks: [生产管控], tags: [${tags}] }`,
    ),
    '',
  ].join('\n');
}

/**
 * Runs a bench's `main`, then its `cleanup` whatever happened; prints each wrong result and exits 1
 * on an error or a wrong result (never for a speed).
 */
export async function runChecked(
  main: () => Promise<void>,
  cleanup: () => Promise<void>,
  problems: readonly string[],
): Promise<void> {
  let failed = false;
  try {
    await main();
  } catch (error) {
    console.error(error);
    failed = true;
  } finally {
    await cleanup();
  }
  for (const p of problems) console.error(`WRONG: ${p}`);
  if (failed || problems.length > 0) process.exit(1);
}
