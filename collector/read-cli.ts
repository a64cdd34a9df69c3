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
      const metrics = new CollectorMetrics();
      const samples: ReadSample[] = [];
      const problems: string[] = [];
      const conditions: Problem[] = [];
      const failures: Problem[] = [];
      // Exit 1 only for a failed read (an error, a bad sample, a tag without a value); other problem
      // lines, such as messages from devices the config does not have, are reported but not failures.
      let failed = false;
      const log = silentLogger;
      const connections = config.connections.filter((c) => {
        const plugin = PLUGINS.find((p) => p.protocol === c.protocol);
        return options.device === undefined || plugin?.devices(c).some((d) => d.id === options.device);
      });
      if (options.device !== undefined && connections.length === 0) {
        throw Object.assign(new Error(`no device "${options.device}" in ${options.config}`), { exitCode: 2 });
      }
      await Promise.all(
        connections.map(async (connection) => {
          const plugin = PLUGINS.find((p) => p.protocol === connection.protocol)!;
          const collector = plugin.create(connection, {
            log,
            // What a collector logs as a bad condition (link down, refused session, …) says why.
            conditions: new ConditionLog(conditionLogger(connection.id, conditions)),
            metrics,
            onSamples: () => {},
            now: Date.now,
            baseDir: path.dirname(path.resolve(options.config)),
          });
          try {
            const read = await collector.readOnce({
              ...(options.device === undefined ? {} : { deviceId: options.device }),
              timeoutMs: Number(options.timeout),
            });
            const devices = plugin
              .devices(connection)
              .filter((d) => options.device === undefined || d.id === options.device);
            const explained = await explain(plugin, connection, read);
            samples.push(...explained);
            failures.push(...readFailures(connection.id, devices, explained, options.timeout));
          } catch (error) {
            failed = true;
            problems.push(`${connection.id}: ${(error as Error).message}`);
          } finally {
            await collector.stop();
          }
        }),
      );
      if (failures.some((f) => f.failed)) failed = true;
      // One line per tag: its status says why it is bad; for a tag with no value at all, what the
      // collector said of it (e.g. a namespace the server lacks) says more than the wait that ran out.
      const key = (p: { device?: string; tag?: string }) => `${p.device}/${p.tag}`;
      const named = new Set(samples.filter((s) => s.reason !== undefined).map(key));
      const explained = new Set(conditions.filter((c) => c.tag !== undefined).map(key));
      problems.push(
        ...failures.filter((f) => f.reason !== 'missing' || !explained.has(key(f))).map((f) => f.line),
        ...conditions.filter((c) => !named.has(key(c))).map((c) => c.line),
      );
      problems.sort();
      samples.sort((a, b) =>
        a.device === b.device ? a.tag.localeCompare(b.tag) : a.device.localeCompare(b.device),
      );
      if (options.format === 'json') console.log(JSON.stringify({ samples, problems }, null, 2));
      else printTable(samples, problems);
      if (failed) process.exitCode = 1;
    });
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
function readFailures(connectionId: string, devices: Device[], read: ReadSample[], timeout: string) {
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
        line: `${connectionId}: ${device.id}/${tag.id}: no value received within ${timeout} ms`,
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
