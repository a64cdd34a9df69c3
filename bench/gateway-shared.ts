/**
 * Helpers shared by the gateway benches (gateway-mqtt-influx.ts, gateway-buffer.ts, gateway-rss.ts):
 * medians, another process's CPU and RSS from /proc, stopping a child process, InfluxDB's own
 * bulk-load rate (the baseline every InfluxDB figure is set beside) and the line protocol it is fed,
 * point counts, the report line format, and the realistic plant the benches read (10,000 tags on 300
 * devices, polled once a second). Not a bench itself.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { DataType, Device } from '../core/model.ts';
import { toLines } from '../gateway/sinks/line-protocol.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';
import type { InfluxDB } from '../test/services/influxdb.ts';

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

/** Sends SIGTERM to a child process unless it has already exited, and resolves once it has. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
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
