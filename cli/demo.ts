/**
 * `shugai demo` (and `npm start`): the simulated plant, a gateway reading all of it into the
 * embedded store, and the bureau's platform (`shugai serve` on SQLite, seeded with the demo data, the
 * gateway's attestations sent to it), in one process, with nothing installed but the npm packages.
 * Prints what runs and where to look, the demo logins, then one summary line every 10 s and the live
 * verification of the plant's application, until Ctrl-C or SIGTERM.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../core/log.ts';
import { beijingMinute } from '../core/time.ts';
import type { LiveVerification } from '../dashboards/platform/demo/live.ts';
import type { RunningPlatform } from '../dashboards/platform/server.ts';
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
const DEFAULT_PLATFORM_PORT = 8787;
const GATEWAY_ID = 'demo-gw';

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
      "run the simulated plant, a gateway reading it into the embedded store and the bureau's platform with the demo data (what `npm start` does)",
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
      'folder for the generated config, the buffer, the SQLite store and the platform database',
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
  // The drivers, the runtime and the platform load here, not when any `shugai` command starts.
  const [
    { PLUGINS },
    { Gateway },
    { startPlatformServer },
    { plantSourceFromConfig },
    live,
    { seedDatabase, describeLogins, DEMO_ENTERPRISES },
    { initIdentity },
  ] = await Promise.all([
    import('../collector/registry.ts'),
    import('../gateway/runtime.ts'),
    import('../dashboards/platform/server.ts'),
    import('../dashboards/pages/plant-data.ts'),
    import('../dashboards/platform/demo/live.ts'),
    import('../dashboards/platform/demo/seed.ts'),
    import('../gateway/attest/identity.ts'),
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
  // The gateway's config names the platform's URL, so its port is settled before anything listens.
  const platformPort = await concretePort(options.freePorts ? 0 : DEFAULT_PLATFORM_PORT);
  const platformDb = path.join(dataDir, 'platform.db');
  // The simulator's OPC UA certificate and the demo accounts' password hashes both take seconds: in parallel.
  const [simulated, seededResult] = await Promise.allSettled([
    startSimulator({
      scenario: options.scenario,
      seed: options.seed,
      speed: options.speed,
      host: HOST,
      // A kept server PKI: creating the server certificate takes seconds, so only the first run pays.
      opcua: { port: opcuaPort, pkiDir: path.join(dataDir, 'simulator-pki') },
      modbus: { port: modbusPort },
      mqtt: { port: mqttPort },
      logger,
    }),
    seedDatabase(platformDb),
  ]);
  if (simulated.status === 'rejected') throw simulated.reason;
  const sim = simulated.value;
  if (seededResult.status === 'rejected') {
    await sim.stop();
    throw seededResult.reason;
  }
  const seeded = seededResult.value;
  let gateway: Gateway;
  let platform: RunningPlatform;
  let devices: number;
  const configFile = path.join(dataDir, 'plant.yaml');
  const platformUrl = `http://${HOST}:${platformPort}`;
  try {
    const yaml = simulatorGatewayConfigYaml(sim, {
      gatewayId: GATEWAY_ID,
      dataDir: '.',
      pkiDir: path.join(dataDir, 'pki'),
      httpPort,
      centralUrl: platformUrl,
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
    // The key the gateway signs with (made now on the first run), so the file registers it before it sends.
    const { identity } = initIdentity(dataDir);
    platform = await startPlatformServer(
      {
        db: platformDb,
        host: HOST,
        port: platformPort,
        // Plain HTTP on the loopback: a browser would drop Secure cookies.
        secureCookies: false,
        plants: [await plantSourceFromConfig(configFile)],
        prepare: (p) =>
          live.fileLiveGateway(p, seeded.enterprises.yongkang, {
            id: GATEWAY_ID,
            publicKeyPem: identity.publicKeyPem,
            store: path.join(dataDir, 'samples.db'),
            config: yaml,
          }),
      },
      logger,
    ).catch((error: Error) => {
      throw new Error(
        `the demo's platform did not start: ${error.message}${/KEY_CONFLICT|another key/.test(error.message) ? ` (the gateway's key in ${dataDir}/identity is not the one the platform holds: remove ${dataDir} to start the demo afresh)` : ''}`,
      );
    });
    try {
      gateway = await Gateway.start(config, PLUGINS, logger);
    } catch (error) {
      await platform.close();
      throw error;
    }
  } catch (error) {
    await sim.stop();
    throw error;
  }
  const since = (await live.attestationsHeld(platform.platform, GATEWAY_ID)).count;

  console.log(
    describeDemo(sim, gateway, configFile, devices, options.summary, [
      '',
      `Platform ${platformUrl}  (shugai serve on ${platformDb}, with the demo data)`,
      `         the plant's pages  ${platformUrl}/plant/${GATEWAY_ID}    API  ${platformUrl}/docs`,
      `         ${GATEWAY_ID} is registered in the file of ${DEMO_ENTERPRISES.yongkang.facts.name}, its attestations go to the platform;`,
      `         its application ${seeded.applications.yongkang} is verified from the gateway's data once they arrive.`,
      '',
      describeLogins(seeded, platformUrl),
      '',
      `Ready in ${process.uptime().toFixed(1)} s.`,
    ]),
  );
  const stopVerifying = new AbortController();
  const verifying = live
    .verifyWhenAttested(platform.platform, {
      applicationId: seeded.applications.yongkang,
      gatewayId: GATEWAY_ID,
      officer: 'demo-officer-1',
      since,
      // Three attestations of this run.
      attestations: 3,
      signal: stopVerifying.signal,
    })
    .then(
      (result) => console.log(describeVerification(result, seeded.applications.yongkang)),
      (error: Error) => logger.warn({ err: error.message }, 'the live verification failed'),
    );
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
  stopVerifying.abort();
  console.log('stopping: gateway (writing what is buffered), then the platform and the simulator…');
  try {
    await verifying;
    await gateway.stop();
  } finally {
    // Even when the gateway fails to stop cleanly, the servers must not keep the process up.
    await platform.close().finally(() => sim.stop());
  }
  console.log(`stopped. The data stays in ${dataDir}.`);
}

/** One line on the live verification: its integrity, levels and payout. */
function describeVerification(result: LiveVerification, applicationId: string): string {
  if (!result.verified) return `Application ${applicationId} not verified by the demo: ${result.why}.`;
  const v = result.verification;
  const levels =
    'error' in v.levels ? v.levels.error : `level ${v.levels.before.level} → ${v.levels.after.level}`;
  const payout =
    'amount' in v.payout
      ? `payout ${v.payout.amount} yuan${v.payout.eligible ? '' : ' (not eligible)'}`
      : `payout: ${v.payout.error.message}`;
  return `[${new Date().toLocaleTimeString('en-GB', { hour12: false })}] verified application ${applicationId} (${v.id}) from ${GATEWAY_ID}'s data: integrity ${v.integrity.clean ? 'clean' : 'NOT clean'}, ${levels}, ${payout}`;
}

/** `port` when it is free on the loopback, else (or for 0) a free port the system gives. */
function concretePort(port: number): Promise<number> {
  const tryListen = (p: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(p, HOST, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
      });
    });
  return tryListen(port).then(async (got) => got ?? (await tryListen(0)) ?? 0);
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
  platform: readonly string[],
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
    ...platform,
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
