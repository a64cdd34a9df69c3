import { watch } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { createLogger } from '../core/log.ts';
import { printIdentity } from './attest/cli.ts';
import { ConfigError } from './config/errors.ts';
import { gatewayConfigJsonSchema, loadGatewayConfig } from './config/schema.ts';

/** A usage error: printed as is, exit code 2 (as for a bad config). */
function usageError(message: string): Error {
  return Object.assign(new Error(message), { exitCode: 2 });
}

/** The collectors and the runtime load on demand: `shugai --help` must not wait for node-opcua. */
const plugins = async () => (await import('../collector/registry.ts')).PLUGINS;

async function load(file: string) {
  const PLUGINS = await plugins();
  try {
    return loadGatewayConfig(file, PLUGINS);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(`configuration invalid:\n${error.message}`);
    throw error;
  }
}

export function registerGatewayCommands(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('run the edge gateway: read the machines in the config, buffer to disk, write to the sinks')
    .enablePositionalOptions()
    .option('-c, --config <file>', 'the plant config (YAML); see `shugai config schema`')
    .action(async (options: { config?: string }) => {
      if (!options.config) throw usageError('give --config plant.yaml (or a subcommand: init)');
      await runGateway(options.config);
    });
  gateway
    .command('init')
    .description(
      "create the gateway's Ed25519 key pair (once) and print the public key and fingerprint to register",
    )
    .requiredOption('-c, --config <file>', 'the plant config: the key goes into its gateway.dataDir/identity')
    .action(async (options: { config: string }) => {
      const config = await load(options.config);
      printIdentity(path.resolve(path.dirname(config.file), config.gateway.dataDir), config.gateway.id);
    });

  const config = program
    .command('config')
    .description('check a gateway config, or print its JSON Schema for editors');
  config
    .command('check')
    .description('validate a config file; errors name the file, line and path')
    .argument('<file>', 'the plant config (YAML)')
    .action(async (file: string) => {
      const PLUGINS = await plugins();
      const loaded = await load(file);
      const devices = loaded.connections.flatMap(
        (c) => PLUGINS.find((p) => p.protocol === c.protocol)?.devices(c) ?? [],
      );
      const tags = devices.reduce((n, d) => n + d.tags.length, 0);
      console.log(
        `${file}: ok — gateway ${loaded.gateway.id}, ${loaded.connections.length} connections, ${devices.length} devices, ${tags} tags, sinks: ${loaded.sinks.map((s) => s.name).join(', ')}`,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file (with descriptions), for editors')
    .action(async () => {
      console.log(JSON.stringify(gatewayConfigJsonSchema(await plugins()), null, 2));
    });
}

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent. Under a burst
 * of MQTT messages much of the old generation is garbage promoted from the young one; V8's own
 * factor (up to 4×) let it reach 260–275 MB of RSS, 25 % kept the peak near 170 MB for 10–30 %
 * more CPU (bench/README.md, "Gateway memory"). With far less garbage since, 25 % left so little
 * room that V8's marking started again soon after each full collection (~20 % of the CPU of a
 * burst); 50 % measured 3.1–3.6 µs a point against 3.3–4.1, peaks 124–135 MB against 128–138
 * (bench/README.md, "2026-12-04, late night"). A `--heap-growing-percent` on node's command line
 * wins; NODE_OPTIONS cannot carry it, so it is set here. V8 reads it at each collection. (The young
 * generation's cap, `--max-semi-space-size=4`, is fixed when the process starts: the unit and the
 * image put it in NODE_OPTIONS.)
 */
const HEAP_GROWING_PERCENT = 50;

/** Runs until SIGINT/SIGTERM; SIGHUP or an edit of the file reloads it (an invalid edit is refused). */
async function runGateway(file: string): Promise<void> {
  if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent')))
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const logger = createLogger('gateway');
  const PLUGINS = await plugins();
  const { Gateway } = await import('./runtime.ts');
  const gateway = await Gateway.start(await load(file), PLUGINS, logger);
  let reloading = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(async () => {
      try {
        await gateway.reload(loadGatewayConfig(file, PLUGINS));
      } catch (error) {
        logger.error({ why, err: (error as Error).message }, 'new config refused; the running one stays');
      }
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  let debounce: NodeJS.Timeout | undefined;
  const watcher = watch(file, () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => reload('file changed'), 500);
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  watcher.close();
  clearTimeout(debounce);
  await reloading;
  await gateway.stop();
}
