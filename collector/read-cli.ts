import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { silentLogger } from '../core/log.ts';
import type { Device, Sample } from '../core/model.ts';
import { ConfigError } from '../gateway/config/errors.ts';
import { type AnyPlugin, type GatewayConfig, loadGatewayConfig } from '../gateway/config/schema.ts';
import { ConditionLog } from './conditions.ts';
import { CollectorMetrics } from './metrics.ts';

/** `shugai read`: every configured tag once, printed (like `telegraf --test`), for people setting up a box. */
export function registerRead(program: Command): void {
  program
    .command('read')
    .description(
      'read every configured tag once and print the samples, to check a config against the machines',
    )
    .requiredOption('-c, --config <file>', 'the plant config (YAML)')
    .option('-d, --device <id>', 'only this device')
    .option('--once', 'read once and exit (the only mode; kept for the habit of telegraf --test)', true)
    .option('-f, --format <format>', 'json or table', 'table')
    .option('-t, --timeout <ms>', 'how long to wait for each connection', '10000')
    .action(async (options: { config: string; device?: string; format: string; timeout: string }) => {
      if (options.format !== 'json' && options.format !== 'table') {
        throw Object.assign(new Error(`--format must be json or table, not "${options.format}"`), {
          exitCode: 2,
        });
      }
      // Loaded on demand: `shugai --help` must not wait for every driver.
      const { PLUGINS } = await import('./registry.ts');
      let config: ReturnType<typeof loadGatewayConfig>;
      try {
        config = loadGatewayConfig(options.config, PLUGINS);
      } catch (error) {
        if (error instanceof ConfigError)
          throw Object.assign(new Error(`configuration invalid:\n${error.message}`), { exitCode: 2 });
        throw error;
      }
      const read = await readEveryTag(config, PLUGINS, {
        timeoutMs: Number(options.timeout),
        baseDir: path.dirname(path.resolve(options.config)),
        ...(options.device === undefined ? {} : { device: options.device }),
      });
      if (options.device !== undefined && read.connections.length === 0) {
        throw Object.assign(new Error(`no device "${options.device}" in ${options.config}`), { exitCode: 2 });
      }
      const { samples, problems, failed } = read;
      if (options.format === 'json') console.log(JSON.stringify({ samples, problems }, null, 2));
      else printTable(samples, problems);
      if (failed) process.exitCode = 1;
    });
}

export interface ReadResult {
  /** Every sample read, a bad or uncertain one with the reason its protocol gives. */
  samples: ReadSample[];
  /** Problem lines, `<connection>: [<device>/<tag>: ]<what>`, sorted. */
  problems: string[];
  /** A read failed: an error, a bad sample, or a tag without a value. */
  failed: boolean;
  /** Per connection read, its devices and its problem lines (for `shugai doctor`). */
  connections: { id: string; devices: Device[]; problems: string[] }[];
}

/**
 * Reads every tag of the config (or of one device) once, each connection in parallel, each within
 * `timeoutMs`; shared by `shugai read` and `shugai doctor`. Exit-worthy failures are an error, a bad
 * sample or a tag without a value; other problem lines (messages from devices the config does not
 * have, say) are reported but are not failures.
 */
export async function readEveryTag(
  config: GatewayConfig,
  plugins: readonly AnyPlugin[],
  options: { timeoutMs: number; baseDir: string; device?: string },
): Promise<ReadResult> {
  const metrics = new CollectorMetrics();
  const samples: ReadSample[] = [];
  const result: ReadResult['connections'] = [];
  let failed = false;
  const connections = config.connections.filter((c) => {
    const plugin = plugins.find((p) => p.protocol === c.protocol);
    return options.device === undefined || plugin?.devices(c).some((d) => d.id === options.device);
  });
  await Promise.all(
    connections.map(async (connection) => {
      const plugin = plugins.find((p) => p.protocol === connection.protocol)!;
      const devices = plugin
        .devices(connection)
        .filter((d) => options.device === undefined || d.id === options.device);
      const conditions: Problem[] = [];
      const lines: string[] = [];
      const collector = plugin.create(connection, {
        log: silentLogger,
        // What a collector logs as a bad condition (link down, refused session, …) says why.
        conditions: new ConditionLog(conditionLogger(connection.id, conditions)),
        metrics,
        onSamples: () => {},
        now: Date.now,
        baseDir: options.baseDir,
      });
      let explained: ReadSample[] = [];
      let failures: Problem[] = [];
      try {
        const read = await collector.readOnce({
          ...(options.device === undefined ? {} : { deviceId: options.device }),
          timeoutMs: options.timeoutMs,
        });
        explained = await explain(plugin, connection, read);
        samples.push(...explained);
        failures = readFailures(connection.id, devices, explained, options.timeoutMs);
      } catch (error) {
        failed = true;
        lines.push(`${connection.id}: ${(error as Error).message}`);
      } finally {
        await collector.stop();
      }
      if (failures.some((f) => f.failed)) failed = true;
      // One line per tag: its status says why it is bad; for a tag with no value at all, what the
      // collector said of it (e.g. a namespace the server lacks) says more than the wait that ran out.
      const key = (p: { device?: string; tag?: string }) => `${p.device}/${p.tag}`;
      const named = new Set(explained.filter((s) => s.reason !== undefined).map(key));
      const said = new Set(conditions.filter((c) => c.tag !== undefined).map(key));
      lines.push(
        ...failures.filter((f) => f.reason !== 'missing' || !said.has(key(f))).map((f) => f.line),
        ...conditions.filter((c) => !named.has(key(c))).map((c) => c.line),
      );
      result.push({ id: connection.id, devices, problems: lines.sort() });
    }),
  );
  samples.sort((a, b) =>
    a.device === b.device ? a.tag.localeCompare(b.tag) : a.device.localeCompare(b.device),
  );
  return { samples, problems: result.flatMap((c) => c.problems).sort(), failed, connections: result };
}

/** A sample as printed: a bad or uncertain one says why, in the protocol's words. */
type ReadSample = Sample & { reason?: string };

/**
 * A problem line, with the device and tag it is about when it is about one: a condition a collector
 * raised while reading (link down, refused session, …), or a tag read bad or not at all.
 */
interface Problem {
  device?: string;
  tag?: string;
  line: string;
  /** For a tag's own line: whether it fails the read, and whether it is bad or had no value. */
  failed?: boolean;
  reason?: 'status' | 'missing';
}

/** A logger that turns each raised condition (a warning with a `condition` field) into a Problem. */
function conditionLogger(connectionId: string, conditions: Problem[]) {
  const write = (line: string) => {
    const entry = JSON.parse(line) as { device?: string; tag?: string; condition?: string; msg?: string };
    if (entry.condition === undefined) return;
    const subject = [entry.device === connectionId ? undefined : entry.device, entry.tag]
      .filter(Boolean)
      .join('/');
    conditions.push({
      ...(entry.device === undefined ? {} : { device: entry.device }),
      ...(entry.tag === undefined ? {} : { tag: entry.tag }),
      line: `${connectionId}: ${subject ? `${subject}: ` : ''}${entry.msg}`,
    });
  };
  return pino({ level: 'warn' }, { write });
}

/** The samples, each bad or uncertain one with the reason its protocol gives for its status code. */
async function explain(plugin: AnyPlugin, connection: GatewayConfig['connections'][number], read: Sample[]) {
  return Promise.all(
    read.map(async (sample): Promise<ReadSample> => {
      if (sample.quality === 'good') return sample;
      const reason = plugin.describeStatus
        ? await plugin.describeStatus(sample.statusCode, connection, sample.device)
        : `status 0x${sample.statusCode.toString(16)}`;
      return { ...sample, reason };
    }),
  );
}

/**
 * A problem for each tag read bad or uncertain, with its reason, and for each tag that gave no sample
 * at all (push protocols, or a node that could not be resolved); uncertain values do not fail the read.
 */
function readFailures(connectionId: string, devices: Device[], read: ReadSample[], timeoutMs: number) {
  const problems: Problem[] = [];
  for (const device of devices) {
    const own = read.filter((s) => s.device === device.id);
    for (const sample of own) {
      if (sample.reason === undefined) continue;
      problems.push({
        device: device.id,
        tag: sample.tag,
        line: `${connectionId}: ${device.id}/${sample.tag}: ${sample.quality}: ${sample.reason}`,
        failed: sample.quality === 'bad',
        reason: 'status',
      });
    }
    for (const tag of device.tags) {
      if (own.some((s) => s.tag === tag.id)) continue;
      problems.push({
        device: device.id,
        tag: tag.id,
        line: `${connectionId}: ${device.id}/${tag.id}: no value received within ${timeoutMs} ms`,
        failed: true,
        reason: 'missing',
      });
    }
  }
  return problems;
}

function printTable(samples: readonly Sample[], problems: readonly string[]): void {
  const rows = samples.map((s) => [
    s.device,
    s.tag,
    String(s.value),
    s.quality,
    s.statusCode === 0 ? '' : `0x${s.statusCode.toString(16)}`,
    new Date(s.sourceTime).toISOString(),
  ]);
  const header = ['device', 'tag', 'value', 'quality', 'status', 'source time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  for (const problem of problems) console.log(`! ${problem}`);
}
