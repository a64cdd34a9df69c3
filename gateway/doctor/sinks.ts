/**
 * Reachability of each sink, with the sink's own URL, credentials and TLS settings, reading only:
 * the doctor writes nothing into a store.
 */
import { existsSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { GatewayConfig } from '../config/schema.ts';
import type { CentralSinkConfig } from '../sinks/central/schema.ts';
import { readCentralCa } from '../sinks/central/sink.ts';
import type { InfluxSinkConfig } from '../sinks/influxdb/schema.ts';
import type { VictoriaSinkConfig } from '../sinks/victoriametrics/schema.ts';
import { type Finding, fail, formatBytes, ok, warn } from './findings.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(
  url: URL,
  options: {
    headers?: Record<string, string>;
    timeoutMs: number;
    ca?: Buffer;
    method?: string;
    body?: string;
  },
): Promise<Answer> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        signal: AbortSignal.timeout(options.timeoutMs),
        // Certificate checks stay on, as in the sinks: a private CA is trusted by naming it.
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 1_000_000) body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const reason = (error: unknown) => {
  const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer (timed out)';
  return e.code ? `${e.code}: ${e.message}` : e.message;
};

/** The URL without credentials, for a finding line. */
const shown = (url: string) => {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
};

async function influx(sink: InfluxSinkConfig, timeoutMs: number): Promise<Finding> {
  const check = `sink ${sink.name}`;
  const base = sink.url.replace(/\/+$/, '');
  let ping: Answer;
  try {
    ping = await get(new URL(`${base}/ping`), { timeoutMs });
  } catch (error) {
    return fail(check, `cannot reach ${shown(sink.url)}: ${reason(error)}`);
  }
  if (ping.status !== 204 && ping.status !== 200)
    return fail(
      check,
      `${shown(sink.url)}/ping answered HTTP ${ping.status}: not an InfluxDB-compatible store`,
    );
  const version = ping.headers['x-influxdb-version'];
  if (sink.version === 2) {
    const url = new URL(`${base}/api/v2/buckets`);
    url.search = new URLSearchParams({ org: sink.org, name: sink.bucket }).toString();
    const answer = await get(url, { timeoutMs, headers: { Authorization: `Token ${sink.token}` } }).catch(
      (error: unknown) => error as Error,
    );
    if (answer instanceof Error) return fail(check, `${shown(sink.url)}: ${reason(answer)}`);
    if (answer.status === 401 || answer.status === 403)
      return fail(check, `${shown(sink.url)} refused the token (HTTP ${answer.status})`);
    if (answer.status !== 200)
      return fail(check, `${shown(sink.url)}: buckets answered HTTP ${answer.status}`);
    const found = ((JSON.parse(answer.body) as { buckets?: { name: string }[] }).buckets ?? []).some(
      (b) => b.name === sink.bucket,
    );
    return found
      ? ok(
          check,
          `InfluxDB ${version ?? ''} at ${shown(sink.url)}: bucket ${sink.bucket} of ${sink.org}, token accepted`.replace(
            '  ',
            ' ',
          ),
        )
      : fail(check, `${shown(sink.url)}: no bucket ${sink.bucket} in org ${sink.org} for this token`);
  }
  if (version === undefined)
    // VictoriaMetrics and other stores that take line protocol on /write: any database name is a label.
    return ok(check, `${shown(sink.url)} answers /ping (an InfluxDB-compatible store, not InfluxDB itself)`);
  const headers: Record<string, string> = {};
  if (sink.username !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${sink.username}:${sink.password ?? ''}`).toString('base64')}`;
  let shows: Answer;
  try {
    shows = await get(new URL(`${base}/query`), {
      timeoutMs,
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q: 'SHOW DATABASES' }).toString(),
    });
  } catch (error) {
    return fail(check, `${shown(sink.url)}: ${reason(error)}`);
  }
  const who = sink.username === undefined ? 'without credentials' : `as ${sink.username}`;
  if (shows.status === 401 || shows.status === 403)
    return fail(
      check,
      `InfluxDB ${version} at ${shown(sink.url)} refused the credentials ${who} (HTTP ${shows.status})`,
    );
  if (shows.status !== 200)
    return fail(check, `${shown(sink.url)}: SHOW DATABASES answered HTTP ${shows.status}`);
  const names = (
    JSON.parse(shows.body) as { results?: { series?: { values?: string[][] }[] }[] }
  ).results?.[0]?.series?.[0]?.values?.map((v) => v[0]);
  const at = `InfluxDB ${version} at ${shown(sink.url)} ${who}`;
  if (names?.includes(sink.database)) return ok(check, `${at}: database ${sink.database} exists`);
  if (sink.createDatabase)
    return warn(
      check,
      `${at}: no database ${sink.database} visible yet; the gateway sends CREATE DATABASE at start, which needs an admin user`,
    );
  return fail(check, `${at}: no database ${sink.database}, and createDatabase is off`);
}

/** Days a VictoriaMetrics -retentionPeriod keeps (no suffix: months), or undefined when unreadable. */
export function retentionDays(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([hdwy]?)$/.exec(value.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  return { h: n / 24, d: n, w: 7 * n, y: 365 * n, '': 31 * n }[match[2] as 'h' | 'd' | 'w' | 'y' | ''];
}

async function victoria(sink: VictoriaSinkConfig, timeoutMs: number): Promise<Finding> {
  const check = `sink ${sink.name}`;
  const headers: Record<string, string> = {};
  if (sink.username !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${sink.username}:${sink.password ?? ''}`).toString('base64')}`;
  // An empty import: the path, the tenant and the credentials, without writing anything.
  let answer: Answer;
  try {
    answer = await get(new URL(`${sink.url.replace(/\/+$/, '')}/api/v1/import`), {
      timeoutMs,
      method: 'POST',
      headers,
      body: '',
    });
  } catch (error) {
    return fail(check, `cannot reach ${shown(sink.url)}: ${reason(error)}`);
  }
  if (answer.status === 401 || answer.status === 403)
    return fail(check, `${shown(sink.url)} refused the credentials (HTTP ${answer.status})`);
  if (answer.status !== 204 && answer.status !== 200)
    return fail(
      check,
      `${shown(sink.url)}/api/v1/import answered HTTP ${answer.status}: not a VictoriaMetrics import path`,
    );
  // A single node lists the flags it was started with; a cluster's vmstorage is not reachable here.
  const flags = await get(new URL('/flags', sink.url), { timeoutMs, headers }).catch(() => undefined);
  if (flags?.status !== 200) return ok(check, `VictoriaMetrics at ${shown(sink.url)} takes imports`);
  const flag = (name: string) => new RegExp(`^-${name}="([^"]*)"`, 'm').exec(flags.body)?.[1];
  const dedup = flag('dedup\\.minScrapeInterval');
  if (dedup !== undefined && dedup !== '0s' && dedup !== '0')
    return fail(
      check,
      `VictoriaMetrics at ${shown(sink.url)} runs with -dedup.minScrapeInterval=${dedup}: it keeps one point per interval and drops the rest, which verify reports as deleted`,
    );
  const retention = flag('retentionPeriod') ?? '1';
  const days = retentionDays(retention);
  if (days !== undefined && days < 365)
    return warn(
      check,
      `VictoriaMetrics at ${shown(sink.url)} keeps data ${retention === '1' ? 'one month (its default)' : `-retentionPeriod=${retention}`}: a bureau verifies a renovation over a year or more; start it with -retentionPeriod=3y or longer`,
    );
  return ok(check, `VictoriaMetrics at ${shown(sink.url)} takes imports, retention ${retention}`);
}

async function central(sink: CentralSinkConfig, baseDir: string, timeoutMs: number): Promise<Finding> {
  const check = `sink ${sink.name}`;
  let ca: Buffer | undefined;
  try {
    ca = readCentralCa(sink, baseDir);
  } catch (error) {
    return fail(check, (error as Error).message);
  }
  const url = new URL('healthz', sink.url.endsWith('/') ? sink.url : `${sink.url}/`);
  try {
    const answer = await get(url, { timeoutMs, ...(ca ? { ca } : {}) });
    if (answer.status === 200) return ok(check, `central service at ${shown(sink.url)} answers /healthz`);
    return fail(check, `central service at ${shown(sink.url)}: /healthz answered HTTP ${answer.status}`);
  } catch (error) {
    return fail(check, `cannot reach the central service at ${shown(sink.url)}: ${reason(error)}`);
  }
}

export async function checkSinks(
  config: GatewayConfig,
  dataDir: string,
  timeoutMs: number,
): Promise<Finding[]> {
  const baseDir = path.dirname(config.file);
  return Promise.all(
    config.sinks.map(async (sink): Promise<Finding> => {
      if (sink.type === 'influxdb') return influx(sink, timeoutMs);
      if (sink.type === 'central') return central(sink, baseDir, timeoutMs);
      if (sink.type === 'victoriametrics') return victoria(sink, timeoutMs);
      const file = path.resolve(dataDir, sink.file);
      return ok(
        `sink ${sink.name}`,
        existsSync(file)
          ? `embedded store ${file} (${formatBytes(statSync(file).size)}), on the disk checked above`
          : `embedded store ${file}, created at start on the disk checked above`,
      );
    }),
  );
}
