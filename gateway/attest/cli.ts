/** `shugai verify` and `shugai gateway init`: the bureau's check of a store, and the box's key. */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Device } from '../../core/model.ts';
import type { DerivedConfig } from '../derived/schema.ts';
import type { SampleReader, TimeWindow } from '../store/reader.ts';
import { initIdentity, loadPublicKey } from './identity.ts';
import type { TagCatalog } from './plausibility.ts';
import type { StoredAttestation } from './verify.ts';

const usage = (message: string) => Object.assign(new Error(message), { exitCode: 2 });

function parseTime(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t) || !/(Z|[+-]\d{2}:?\d{2})$/.test(text))
    throw usage(`${flag} must be an ISO time with a zone, e.g. 2026-11-02T08:00:00+08:00 (got "${text}")`);
  return t;
}

/**
 * `file.db` or `sqlite:file.db` → the embedded store, read-only; `http(s)://host:port/DB` → InfluxDB
 * 1.x; `vm+http(s)://host:8428` → VictoriaMetrics (a cluster: `vm+http://vmselect:8481/select/<tenant>/prometheus`).
 * Reads are scoped to `gateway` when given (several gateways may share a database).
 */
export async function openStore(url: string, gateway?: string): Promise<SampleReader> {
  if (/^vm\+https?:\/\//.test(url)) {
    const parsed = new URL(url.slice('vm+'.length));
    const { VictoriaReader } = await import('../sinks/victoriametrics/reader.ts');
    const base = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
    return new VictoriaReader({
      url: base,
      ...(gateway === undefined ? {} : { gateway }),
      ...(parsed.username
        ? { username: decodeURIComponent(parsed.username), password: process.env.SHUGAI_VM_PASSWORD ?? '' }
        : {}),
    });
  }
  if (/^https?:\/\//.test(url)) {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
    if (!database)
      throw usage(`--store ${url}: name the database in the path, e.g. http://127.0.0.1:8086/plant`);
    const { InfluxReader } = await import('../sinks/influxdb/reader.ts');
    return new InfluxReader({
      url: `${parsed.protocol}//${parsed.host}`,
      database,
      ...(gateway === undefined ? {} : { gateway }),
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

/** What a gateway config tells a reader of its store (the verifier, the plant pages). */
export interface GatewayConfigView {
  open: () => Promise<SampleReader>;
  gatewayId: string;
  gatewayName: string | undefined;
  devices: Device[];
  derived: DerivedConfig;
  tags: TagCatalog;
}

/**
 * What a gateway config tells the verifier: the gateway's id, what it says of each tag (for the
 * plausibility flags), and the store it writes to: its first embedded or InfluxDB 1.x sink (the
 * reader speaks InfluxQL, so a 2.x sink cannot be read this way: give --store).
 */
export async function readGatewayConfig(file: string): Promise<GatewayConfigView> {
  const [{ loadGatewayConfig }, { PLUGINS }, { tagCatalog }] = await Promise.all([
    import('../config/schema.ts'),
    import('../../collector/registry.ts'),
    import('./plausibility.ts'),
  ]);
  let config: ReturnType<typeof loadGatewayConfig>;
  try {
    config = loadGatewayConfig(file, PLUGINS);
  } catch (error) {
    throw usage(`--config ${file}: ${(error as Error).message}`);
  }
  const devices = config.connections.flatMap(
    (c) => PLUGINS.find((p) => p.protocol === c.protocol)?.devices(c) ?? [],
  );
  const known = {
    gatewayId: config.gateway.id,
    gatewayName: config.gateway.name,
    devices,
    derived: config.derived,
    tags: tagCatalog(devices, config.derived),
  };
  const sink = config.sinks.find(
    (s) =>
      s.type === 'embedded' || s.type === 'victoriametrics' || (s.type === 'influxdb' && s.version === 1),
  );
  if (sink?.type === 'embedded') {
    const dataDir = path.resolve(path.dirname(file), config.gateway.dataDir);
    return { ...known, open: () => openStore(path.resolve(dataDir, sink.file)) };
  }
  if (sink?.type === 'victoriametrics') {
    // A single node reads where it is written; a cluster's vmselect is another address: give --store.
    const { VictoriaReader } = await import('../sinks/victoriametrics/reader.ts');
    const options = {
      url: sink.url,
      measurement: sink.measurement,
      gateway: config.gateway.id,
      ...(sink.username !== undefined ? { username: sink.username, password: sink.password ?? '' } : {}),
    };
    return { ...known, open: async () => new VictoriaReader(options) };
  }
  if (sink?.type === 'influxdb' && sink.version === 1) {
    const { InfluxReader } = await import('../sinks/influxdb/reader.ts');
    const options = {
      url: sink.url,
      database: sink.database,
      measurement: sink.measurement,
      gateway: config.gateway.id,
      ...(sink.username !== undefined ? { username: sink.username, password: sink.password ?? '' } : {}),
    };
    return { ...known, open: async () => new InfluxReader(options) };
  }
  return {
    ...known,
    open: () => {
      throw usage(`--config ${file}: no embedded or InfluxDB 1.x sink to read; give --store URL`);
    },
  };
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "check that a store holds exactly what a gateway attested: signatures, chain, every device's points, timestamps",
    )
    .option('--pubkey <file>', "the gateway's registered public key (PEM)")
    .option(
      '--gateway <id>',
      'the gateway id; its key is the one registered at --central, else <keys>/<id>.pub, unless --pubkey is given',
    )
    .option('--keys <dir>', 'folder of registered public keys, <gateway id>.pub', './keys')
    .option(
      '--central <url>',
      "check the store against the bureau's copy of the attestations at this central service (needs --gateway; read token in SHUGAI_CENTRAL_READ_TOKEN or --central-token-file)",
    )
    .option('--central-token-file <file>', "file holding the central service's read token")
    .requiredOption('--from <time>', 'window start, ISO with zone')
    .requiredOption('--to <time>', 'window end (exclusive), ISO with zone')
    .option(
      '--store <url>',
      'samples.db (embedded store), http://host:8086/<database> (InfluxDB 1.x; password in SHUGAI_INFLUX_PASSWORD) or vm+http://host:8428 (VictoriaMetrics; password in SHUGAI_VM_PASSWORD)',
    )
    .option(
      '--config <file>',
      "the gateway's config: its gateway id (unless --gateway), what it says of each tag (units, descriptions, derived data) for the plausibility flags, and without --store the store it writes to (its first embedded, VictoriaMetrics or InfluxDB 1.x sink)",
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
        store?: string;
        config?: string;
        tolerance: string;
        json?: boolean;
        central?: string;
        centralTokenFile?: string;
      }) => {
        if (!options.store && !options.config)
          throw usage('give --store URL, or --config FILE to read the store it names');
        const configured = options.config ? await readGatewayConfig(options.config) : undefined;
        options.gateway ??= configured?.gatewayId;
        if (!options.pubkey && !options.gateway) throw usage('give --pubkey FILE or --gateway ID');
        const central = options.central
          ? centralSource(options.central, options.gateway, options.centralTokenFile)
          : undefined;
        let publicKey: KeyObject;
        if (!options.pubkey && central) publicKey = await central.publicKey();
        else {
          const keyFile = options.pubkey ?? path.join(options.keys, `${options.gateway}.pub`);
          try {
            publicKey = loadPublicKey(keyFile);
          } catch (error) {
            throw usage(`cannot read the public key ${keyFile}: ${(error as Error).message}`);
          }
        }
        const window = { from: parseTime(options.from, '--from'), to: parseTime(options.to, '--to') };
        if (window.to <= window.from) throw usage('--to must be after --from');
        const tolerance = Number(options.tolerance);
        if (!Number.isFinite(tolerance) || tolerance < 0)
          throw usage('--tolerance must be a number of seconds');
        const { renderReport, verifyStore } = await import('./verify.ts');
        const reader = options.store
          ? await openStore(options.store, options.gateway)
          : await (configured as NonNullable<typeof configured>).open();
        if (reader.holdsAttestations === false && !central) {
          await reader.close();
          throw usage(
            "this store keeps no attestations (VictoriaMetrics holds numbers): verify against the bureau's copy with --central URL --gateway ID",
          );
        }
        try {
          const report = await verifyStore({
            reader,
            publicKey,
            window,
            toleranceMs: tolerance * 1000,
            ...(options.gateway ? { gatewayId: options.gateway } : {}),
            ...(configured ? { tags: configured.tags } : {}),
            ...(central ? { attestations: central.attestations, central: true } : {}),
          });
          process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
          process.exitCode = report.clean ? 0 : 1;
        } finally {
          await reader.close();
        }
      },
    );
}

/**
 * The bureau's copy of a gateway's attestations (dashboards/central) as the verifier's source, and
 * the key registered there. The token comes from a file or the environment, never the command line.
 */
function centralSource(url: string, gatewayId: string | undefined, tokenFile: string | undefined) {
  if (!gatewayId) throw usage('--central needs --gateway ID: the central service keeps each gateway apart');
  let token = process.env.SHUGAI_CENTRAL_READ_TOKEN;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      throw usage(`cannot read --central-token-file ${tokenFile}: ${(error as Error).message}`);
    }
  }
  if (!token)
    throw usage('--central needs the read token: SHUGAI_CENTRAL_READ_TOKEN or --central-token-file FILE');
  const read = token;
  const client = import('../../dashboards/central/client.ts');
  // Exit code 2: without the copy the check cannot be done, which is not a finding about the store.
  const cannot = (what: string, error: unknown) =>
    usage(`--central ${url}: ${what}: ${(error as Error).message}`);
  return {
    async publicKey(): Promise<KeyObject> {
      try {
        return await (await client).fetchPublicKey(url, gatewayId, read);
      } catch (error) {
        throw cannot(`cannot get the key of ${gatewayId}`, error);
      }
    },
    async *attestations(range: TimeWindow): AsyncIterable<StoredAttestation> {
      try {
        yield* (await client).centralAttestations(url, gatewayId, read, range);
      } catch (error) {
        throw cannot(`cannot read the attestations of ${gatewayId}`, error);
      }
    },
  };
}

/** `shugai gateway init`: makes the key pair once and prints what the bureau registers. */
export function printIdentity(dataDir: string, gatewayId: string): void {
  const { identity, created } = initIdentity(dataDir);
  process.stdout.write(
    `gateway ${gatewayId}: identity ${created ? 'created' : 'already present (not changed)'} in ${path.join(dataDir, 'identity')}\n` +
      `fingerprint ${identity.fingerprint}\n${identity.publicKeyPem}`,
  );
}
