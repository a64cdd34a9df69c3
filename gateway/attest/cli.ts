/** `shugai verify` and `shugai gateway init`: the bureau's check of a store, and the box's key. */
import path from 'node:path';
import type { Command } from 'commander';
import type { SampleReader } from '../store/reader.ts';
import { initIdentity, loadPublicKey } from './identity.ts';

const usage = (message: string) => Object.assign(new Error(message), { exitCode: 2 });

function parseTime(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t) || !/(Z|[+-]\d{2}:?\d{2})$/.test(text))
    throw usage(`${flag} must be an ISO time with a zone, e.g. 2026-11-02T08:00:00+08:00 (got "${text}")`);
  return t;
}

/** `file.db` or `sqlite:file.db` → the embedded store, read-only; `http(s)://host:port/DB` → InfluxDB 1.x. */
export async function openStore(url: string): Promise<SampleReader> {
  if (/^https?:\/\//.test(url)) {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
    if (!database)
      throw usage(`--store ${url}: name the database in the path, e.g. http://127.0.0.1:8086/plant`);
    const { InfluxReader } = await import('../sinks/influxdb/reader.ts');
    return new InfluxReader({
      url: `${parsed.protocol}//${parsed.host}`,
      database,
      ...(parsed.username
        ? {
            username: decodeURIComponent(parsed.username),
            password: process.env.SHUGAI_INFLUX_PASSWORD ?? '',
          }
        : {}),
    });
  }
  const file = url.replace(/^sqlite:/, '');
  const { EmbeddedStore } = await import('../sinks/embedded/store.ts');
  try {
    return new EmbeddedStore('verify', file, { readonly: true });
  } catch (error) {
    throw usage(`--store ${url}: ${(error as Error).message}`);
  }
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "check that a store holds exactly what a gateway attested: signatures, chain, every device's points, timestamps",
    )
    .option('--pubkey <file>', "the gateway's registered public key (PEM)")
    .option('--gateway <id>', 'the gateway id; its key is <keys>/<id>.pub unless --pubkey is given')
    .option('--keys <dir>', 'folder of registered public keys, <gateway id>.pub', './keys')
    .requiredOption('--from <time>', 'window start, ISO with zone')
    .requiredOption('--to <time>', 'window end (exclusive), ISO with zone')
    .requiredOption(
      '--store <url>',
      'samples.db (embedded store) or http://host:8086/<database> (InfluxDB 1.x; password in SHUGAI_INFLUX_PASSWORD)',
    )
    .option('--tolerance <seconds>', 'clock differences below this are not findings', '300')
    .option('--json', 'print the report as JSON')
    .action(
      async (options: {
        pubkey?: string;
        gateway?: string;
        keys: string;
        from: string;
        to: string;
        store: string;
        tolerance: string;
        json?: boolean;
      }) => {
        if (!options.pubkey && !options.gateway) throw usage('give --pubkey FILE or --gateway ID');
        const keyFile = options.pubkey ?? path.join(options.keys, `${options.gateway}.pub`);
        let publicKey: ReturnType<typeof loadPublicKey>;
        try {
          publicKey = loadPublicKey(keyFile);
        } catch (error) {
          throw usage(`cannot read the public key ${keyFile}: ${(error as Error).message}`);
        }
        const window = { from: parseTime(options.from, '--from'), to: parseTime(options.to, '--to') };
        if (window.to <= window.from) throw usage('--to must be after --from');
        const tolerance = Number(options.tolerance);
        if (!Number.isFinite(tolerance) || tolerance < 0)
          throw usage('--tolerance must be a number of seconds');
        const { renderReport, verifyStore } = await import('./verify.ts');
        const reader = await openStore(options.store);
        try {
          const report = await verifyStore({
            reader,
            publicKey,
            window,
            toleranceMs: tolerance * 1000,
            ...(options.gateway ? { gatewayId: options.gateway } : {}),
          });
          process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
          process.exitCode = report.clean ? 0 : 1;
        } finally {
          await reader.close();
        }
      },
    );
}

/** `shugai gateway init`: makes the key pair once and prints what the bureau registers. */
export function printIdentity(dataDir: string, gatewayId: string): void {
  const { identity, created } = initIdentity(dataDir);
  process.stdout.write(
    `gateway ${gatewayId}: identity ${created ? 'created' : 'already present (not changed)'} in ${path.join(dataDir, 'identity')}\n` +
      `fingerprint ${identity.fingerprint}\n${identity.publicKeyPem}`,
  );
}
