import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireBinary } from './binaries.ts';
import { freePort } from './ports.ts';
import { ServiceProcess } from './process.ts';

export const influxdBinary = requireBinary('influxd', 'influxdb');

export interface InfluxDB {
  port: number;
  url: string;
  dir: string;
  process: ServiceProcess;
  /** Runs an InfluxQL query through the HTTP API and returns the parsed JSON. */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
  /** Stops the server and keeps its data folder (for restart tests). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
export interface InfluxQueryResult {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
}

export interface InfluxOptions {
  /** Turn on authentication (then create an admin user through the API before writing). */
  authEnabled?: boolean;
  /** Largest request body accepted, in bytes (0 = no limit); larger writes get 413. */
  maxBodySize?: number;
  /** More lines for the [data] section, e.g. short cold durations so a bench sees compacted TSM files. */
  dataConfig?: readonly string[];
}

/** Starts a real InfluxDB 1.x on free loopback ports with a temporary data folder. */
export async function startInfluxDB(options: InfluxOptions = {}): Promise<InfluxDB> {
  if (!influxdBinary.path) throw new Error('influxd is not installed');
  const binary = influxdBinary.path;
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-influxdb-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const conf = path.join(dir, 'influxdb.conf');
  await writeFile(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      ...(options.dataConfig ?? []).map((l) => `  ${l}`),
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      `  max-body-size = ${options.maxBodySize ?? 0}`,
      `  auth-enabled = ${options.authEnabled === true}`,
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let proc: ServiceProcess;
  const launch = async () => {
    proc = new ServiceProcess('influxd', binary, ['run', '-config', conf], { cwd: dir });
    await proc.waitUntil(async () => (await fetch(`${url}/ping`)).status === 204, 30_000);
  };
  await launch();
  const query = async (q: string, db?: string): Promise<InfluxQueryResult> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${url}/query`, { method: 'POST', body: params });
    if (!res.ok) throw new Error(`InfluxDB query failed (${res.status}): ${await res.text()}`);
    return (await res.json()) as InfluxQueryResult;
  };
  return {
    port,
    url,
    dir,
    get process() {
      return proc;
    },
    query,
    async halt() {
      await proc.stop();
    },
    async restart() {
      await launch();
    },
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
