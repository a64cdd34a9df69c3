import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { silentLogger } from '../core/log.ts';
import type { Device, Sample } from '../core/model.ts';
import { ConfigError } from '../gateway/config/errors.ts';
import { loadGatewayConfig } from '../gateway/config/schema.ts';
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
      const samples: Sample[] = [];
      const problems: string[] = [];
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
            conditions: new ConditionLog(conditionsAsProblems(connection.id, problems)),
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
            samples.push(...read);
            const devices = plugin
              .devices(connection)
              .filter((d) => options.device === undefined || d.id === options.device);
            const failures = readFailures(connection.id, devices, read, options.timeout);
            if (failures.length > 0) failed = true;
            problems.push(...failures);
          } catch (error) {
            failed = true;
            problems.push(`${connection.id}: ${(error as Error).message}`);
          } finally {
            await collector.stop();
          }
        }),
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

/** A logger that turns each raised condition (a warning with a `condition` field) into a problem line. */
function conditionsAsProblems(connectionId: string, problems: string[]) {
  const write = (line: string) => {
    const entry = JSON.parse(line) as { device?: string; tag?: string; condition?: string; msg?: string };
    if (entry.condition === undefined) return;
    const subject = [entry.device === connectionId ? undefined : entry.device, entry.tag]
      .filter(Boolean)
      .join('/');
    problems.push(`${connectionId}: ${subject ? `${subject}: ` : ''}${entry.msg}`);
  };
  return pino({ level: 'warn' }, { write });
}

/** Problem lines for devices with bad samples and for tags that gave no sample at all (push protocols). */
function readFailures(connectionId: string, devices: Device[], read: Sample[], timeout: string): string[] {
  const lines: string[] = [];
  for (const device of devices) {
    const own = read.filter((s) => s.device === device.id);
    const bad = own.filter((s) => s.quality === 'bad');
    if (bad.length > 0) {
      lines.push(`${connectionId}: ${device.id}: ${bad.length} of ${device.tags.length} tags bad`);
    }
    const missing = device.tags.filter((t) => !own.some((s) => s.tag === t.id)).map((t) => t.id);
    if (missing.length > 0) {
      lines.push(`${connectionId}: ${device.id}: no value within ${timeout} ms for ${missing.join(', ')}`);
    }
  }
  return lines;
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
