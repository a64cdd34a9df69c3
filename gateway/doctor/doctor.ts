/**
 * `shugai doctor`: checks a box before and after the gateway runs on it. The config first (nothing
 * else can be checked without it), then the rest at once: clock, disk, permissions, port, each
 * device, each sink. One finding per line, in that order.
 */
import path from 'node:path';
import { ConfigError, formatIssue } from '../config/errors.ts';
import { type AnyPlugin, type GatewayConfig, loadGatewayConfig } from '../config/schema.ts';
import { type ClockOptions, checkClock } from './clock.ts';
import { checkDevices } from './devices.ts';
import { checkDisk } from './disk.ts';
import { checkPermissions } from './files.ts';
import { type Finding, fail, ok } from './findings.ts';
import { checkPort } from './port.ts';
import { checkSinks } from './sinks.ts';

export interface DoctorOptions {
  config: string;
  /** How long a device, a sink or the time server may take to answer, ms. */
  timeoutMs: number;
  clock?: ClockOptions;
  /** The installed systemd unit, whose writable paths dataDir and pkiDirs must be inside (when it exists). */
  unitFile?: string;
  env?: NodeJS.ProcessEnv;
}

function loadConfig(
  file: string,
  plugins: readonly AnyPlugin[],
  env: NodeJS.ProcessEnv,
): { config: GatewayConfig } | { findings: Finding[] } {
  try {
    return { config: loadGatewayConfig(file, plugins, env) };
  } catch (error) {
    if (error instanceof ConfigError)
      return { findings: error.issues.map((issue) => fail('config', formatIssue(issue))) };
    return { findings: [fail('config', `${file}: ${(error as Error).message}`)] };
  }
}

function summary(config: GatewayConfig, plugins: readonly AnyPlugin[]): string {
  const devices = config.connections.flatMap(
    (c) => plugins.find((p) => p.protocol === c.protocol)?.devices(c) ?? [],
  );
  const tags = devices.reduce((n, d) => n + d.tags.length, 0);
  return `${config.file}: gateway ${config.gateway.id}, ${config.connections.length} connections, ${devices.length} devices, ${tags} tags, sinks: ${config.sinks.map((s) => s.name).join(', ')}`;
}

export async function runDoctor(options: DoctorOptions, plugins: readonly AnyPlugin[]): Promise<Finding[]> {
  const file = path.resolve(options.config);
  const loaded = loadConfig(file, plugins, options.env ?? process.env);
  if ('findings' in loaded) return loaded.findings;
  const { config } = loaded;
  const dataDir = path.resolve(path.dirname(config.file), config.gateway.dataDir);
  const [clock, disk, port, devices, sinks] = await Promise.all([
    checkClock({ timeoutMs: options.timeoutMs, ...options.clock }),
    checkDisk(config, dataDir),
    checkPort(config),
    checkDevices(config, plugins, options.timeoutMs),
    checkSinks(config, dataDir, options.timeoutMs),
  ]);
  return [
    ok('config', summary(config, plugins)),
    clock,
    disk,
    ...checkPermissions(config, dataDir, options.unitFile),
    port,
    ...devices,
    ...sinks,
  ];
}
