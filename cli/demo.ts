/**
 * `shugai demo` (and `npm start`): the simulated plant and a gateway reading all of it into the
 * embedded store, in one process, with nothing installed but the npm packages. Prints what runs and
 * where to look, then one summary line every 10 s, until Ctrl-C or SIGTERM.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../core/log.ts';
import { beijingMinute } from '../core/time.ts';
import { ConfigError } from '../gateway/config/errors.ts';
import type { AnyPlugin } from '../gateway/config/schema.ts';
import { loadGatewayConfig } from '../gateway/config/schema.ts';
import type { Gateway } from '../gateway/runtime.ts';
import { describeSimulator } from '../simulator/cli.ts';
import { simulatorGatewayConfigYaml } from '../simulator/gateway-config.ts';
import {
  checkSeed,
  DEFAULT_PORTS,
  DEFAULT_SCENARIO,
  DEFAULT_SEED,
  type RunningSimulator,
  SCENARIOS,
  type SimClock,
  startSimulator,
} from '../simulator/index.ts';

const HOST = '127.0.0.1';
const DEFAULT_HTTP_PORT = 9273;

interface DemoOptions {
  scenario: string;
  seed: number;
  speed: number;
  dataDir: string;
  influxUrl?: string;
  influxDb?: string;
  freePorts?: boolean;
  summary: number;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the simulated plant and a gateway reading it into the embedded store (what `npm start` does)',
    )
    .addOption(
      new Option('--scenario <name>', 'plant to simulate')
        .choices(Object.keys(SCENARIOS))
        .default(DEFAULT_SCENARIO),
    )
    .option('--seed <n>', 'random seed of the plant history (0 … 4294967295)', seed, DEFAULT_SEED)
    .option('--speed <x>', 'simulated seconds per real second (0 freezes time)', nonNegative, 1)
    .option(
      '--data-dir <dir>',
      'folder for the generated config, the buffer and the SQLite store',
      './.shugai/demo',
    )
    .option('--influx-url <url>', 'also write to this InfluxDB 1.x, e.g. http://127.0.0.1:8086')
    .option('--influx-db <name>', 'InfluxDB database for --influx-url, created if missing (default: shugai)')
    .option('--free-ports', 'listen on any free ports instead of 4840, 5020, 1883 and 9273')
    .option('--summary <seconds>', 'print a summary line this often (0 = never)', nonNegative, 10)
    .action(runDemo);
}

function seed(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError('expected an integer from 0 to 4294967295');
  try {
    return checkSeed(Number(text));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A number ≥ 0 (a speed, seconds). */
function nonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expected a number ≥ 0');
  return value;
}

/** The preferred port when it is free on the loopback, else 0 (any free port): the demo always starts. */
function preferredOrFree(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(0));
    server.listen(port, HOST, () => server.close(() => resolve(port)));
  });
}

/** Resolves on the first SIGINT or SIGTERM; both listeners are removed then (a second Ctrl-C kills). */
async function waitForSignal(): Promise<void> {
  const done = new AbortController();
  const signals = ['SIGINT', 'SIGTERM'].map((name) => once(process, name, { signal: done.signal }));
  await Promise.race(signals).finally(() => done.abort());
}

async function runDemo(options: DemoOptions): Promise<void> {
  if (options.influxDb !== undefined && options.influxUrl === undefined) {
    throw Object.assign(new Error('--influx-db needs --influx-url'), { exitCode: 2 });
  }
  if (options.influxUrl !== undefined && !/^https?:\/\/./.test(options.influxUrl)) {
    throw Object.assign(new Error(`--influx-url must be an http(s) URL, not "${options.influxUrl}"`), {
      exitCode: 2,
    });
  }
  // The drivers and the runtime load here, not when any `shugai` command starts.
  const [{ PLUGINS }, { Gateway }] = await Promise.all([
    import('../collector/registry.ts'),
    import('../gateway/runtime.ts'),
  ]);
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // Warnings and errors only: stdout is for the summary, the gateway's info log would drown it.
  const logger = createLogger('demo', process.env.SHUGAI_LOG_LEVEL ?? 'warn');
  const signalled = waitForSignal();
  const wanted = [DEFAULT_PORTS.opcua, DEFAULT_PORTS.modbus, DEFAULT_PORTS.mqtt, DEFAULT_HTTP_PORT];
  const [opcuaPort, modbusPort, mqttPort, httpPort] = options.freePorts
    ? [0, 0, 0, 0]
    : await Promise.all(wanted.map(preferredOrFree));
  const sim = await startSimulator({
    scenario: options.scenario,
    seed: options.seed,
    speed: options.speed,
    host: HOST,
    // A kept server PKI: creating the server certificate takes seconds, so only the first run pays.
    opcua: { port: opcuaPort, pkiDir: path.join(dataDir, 'simulator-pki') },
    modbus: { port: modbusPort },
    mqtt: { port: mqttPort },
    logger,
  });
  let gateway: Gateway;
  let devices: number;
  const configFile = path.join(dataDir, 'plant.yaml');
  try {
    const yaml = simulatorGatewayConfigYaml(sim, {
      gatewayId: 'demo-gw',
      dataDir: '.',
      pkiDir: path.join(dataDir, 'pki'),
      httpPort,
      ...(options.influxUrl === undefined
        ? {}
        : { influx: { url: options.influxUrl, database: options.influxDb ?? 'shugai' } }),
    });
    writeFileSync(configFile, yaml);
    const config = loadConfig(configFile, PLUGINS);
    devices = config.connections.reduce(
      (n, c) => n + (PLUGINS.find((p) => p.protocol === c.protocol)?.devices(c).length ?? 0),
      0,
    );
    gateway = await Gateway.start(config, PLUGINS, logger);
  } catch (error) {
    await sim.stop();
    throw error;
  }

  console.log(describeDemo(sim, gateway, configFile, devices, options.summary));
  const summary = new Summary(gateway, devices, sim.clock);
  const timer =
    options.summary > 0
      ? setInterval(() => {
          summary
            .line()
            .then(console.log, (error: Error) => logger.warn({ err: error.message }, 'no summary'));
        }, options.summary * 1000)
      : undefined;
  await signalled;
  clearInterval(timer);
  console.log('stopping: gateway (writing what is buffered), then the simulator…');
  try {
    await gateway.stop();
  } finally {
    // Even when the gateway fails to stop cleanly, the simulator's servers must not keep the process up.
    await sim.stop();
  }
  console.log(`stopped. The data stays in ${dataDir}.`);
}

function loadConfig(file: string, plugins: readonly AnyPlugin[]) {
  try {
    return loadGatewayConfig(file, plugins);
  } catch (error) {
    // Only a bad --influx-url can make the generated config invalid.
    if (error instanceof ConfigError) throw new Error(`demo config invalid:\n${error.message}`);
    throw error;
  }
}

function describeDemo(
  sim: RunningSimulator,
  gateway: Gateway,
  configFile: string,
  devices: number,
  summaryEvery: number,
): string {
  const base = `http://${HOST}:${gateway.httpPort}`;
  const store = path.join(gateway.dataDir, 'samples.db');
  const query =
    "SELECT device, count(*) AS samples, datetime(max(ts)/1000, 'unixepoch', '+8 hours') AS last_cst FROM samples GROUP BY device";
  return [
    describeSimulator(sim).replace(/\nPress Ctrl-C to stop\.$/, ''),
    '',
    `Gateway  demo-gw reads ${devices} devices over ${gateway.health().connections.length} connections; sinks: ${Object.keys(gateway.health().sinks).join(', ')}`,
    `         health  ${base}/readyz    metrics  ${base}/metrics`,
    `         config  ${configFile}  (run it yourself: shugai gateway --config ${configFile})`,
    `         store   ${store}  (SQLite, table samples)`,
    '',
    'Look at the data (from the shugai folder, no sqlite3 needed):',
    `  node -e "const db = require('better-sqlite3')('${store}', { readonly: true }); console.table(db.prepare(\\"${query}\\").all())"`,
    `  curl -s ${base}/metrics | grep -E '^shugai_(sink_samples|collector_samples)_total'`,
    '',
    `${summaryEvery > 0 ? `A summary follows every ${summaryEvery} s. ` : ''}Press Ctrl-C to stop.`,
  ].join('\n');
}

/** One line: samples stored per sink, the buffer on disk, devices that delivered since the last line. */
class Summary {
  private previous = new Map<string, number>();

  constructor(
    private readonly gateway: Gateway,
    private readonly devices: number,
    private readonly clock: SimClock,
  ) {}

  async line(): Promise<string> {
    const stored = (await this.gateway.metrics.sinkSamples.get()).values.map(
      (v) => `${v.labels.sink} ${v.value.toLocaleString('en-US')}`,
    );
    const delivered = new Map<string, number>();
    for (const v of (await this.gateway.collectorMetrics.samples.get()).values) {
      if (v.labels.quality !== 'good') continue;
      const device = String(v.labels.device);
      delivered.set(device, (delivered.get(device) ?? 0) + v.value);
    }
    const reporting = [...delivered].filter(([device, n]) => n > (this.previous.get(device) ?? 0)).length;
    this.previous = delivered;
    const time = new Date().toLocaleTimeString('en-GB', { hour12: false });
    // At another speed the plant's own clock tells where in the shift it is.
    const plant = this.clock.speed === 1 ? '' : ` plant time ${shanghaiTime(this.clock.now())} ·`;
    return [
      `[${time}]${plant} stored: ${stored.length > 0 ? stored.join(', ') : 'none yet'}`,
      `buffer ${bytes(this.gateway.health().buffer.bytes)}`,
      `${reporting}/${this.devices} devices reporting`,
    ].join(' · ');
  }
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** Plant time (Asia/Shanghai, UTC+8 all year) as YYYY-MM-DD HH:MM. */
const shanghaiTime = (ms: number) => `${beijingMinute(ms)} CST`;
