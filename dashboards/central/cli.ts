/** `shugai central serve` and `shugai central register`: the bureau's central attestation service. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createLogger } from '../../core/log.ts';
import { CentralError } from './errors.ts';

const usage = (message: string) => Object.assign(new Error(message), { exitCode: 2 });

/** `host:port`, `[v6]:port`; the port may be 0 (any free port). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw usage(`--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:8787 or [::1]:8787`);
  return { host: (match[1] ?? match[2]) as string, port };
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw usage(`${flag} must be a positive integer (got "${text}")`);
  return n;
}

/** Configuration mistakes are usage errors (exit 2) with the service's own message. */
function asUsage(error: unknown): Error {
  return error instanceof CentralError ? usage(error.message) : (error as Error);
}

export function registerCentralCommands(program: Command): void {
  const central = program
    .command('central')
    .description("the bureau's central service: a copy of every registered gateway's attestation chain");

  central
    .command('serve')
    .description('run the central attestation service until SIGINT/SIGTERM')
    .requiredOption('--db <file>', 'SQLite file of the registry and the attestations (created if absent)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8787')
    .option(
      '--read-token-file <file>',
      'file holding the bearer token for reads (or SHUGAI_CENTRAL_READ_TOKEN)',
    )
    .option('--reads-disabled', 'serve writes only; the read routes answer 403')
    .option('--tls-cert <file>', 'PEM certificate to serve HTTPS with (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--write-rate <n>', 'write requests allowed per client address per minute', '600')
    .action(
      async (options: {
        db: string;
        listen: string;
        readTokenFile?: string;
        readsDisabled?: boolean;
        tlsCert?: string;
        tlsKey?: string;
        writeRate: string;
      }) => {
        const { readAccess, startCentralServer } = await import('./server.ts');
        const { host, port } = parseListen(options.listen);
        if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
          throw usage('give --tls-cert and --tls-key together');
        let reads: ReturnType<typeof readAccess>;
        try {
          reads = readAccess(options);
        } catch (error) {
          throw asUsage(error);
        }
        const logger = createLogger('central');
        const running = await startCentralServer(
          {
            db: options.db,
            host,
            port,
            reads,
            writeRate: { max: positiveInt(options.writeRate, '--write-rate'), windowMs: 60_000 },
            ...(options.tlsCert && options.tlsKey
              ? { tls: { cert: options.tlsCert, key: options.tlsKey } }
              : {}),
          },
          logger,
        ).catch((error: unknown) => {
          throw asUsage(error);
        });
        logger.info(
          { url: running.url, db: options.db, reads: 'token' in reads ? 'token' : 'disabled' },
          'central service started',
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await running.close();
        logger.info('central service stopped');
      },
    );

  central
    .command('register')
    .description(
      "register a gateway's Ed25519 public key (from `shugai gateway init`); prints its fingerprint",
    )
    .requiredOption('--db <file>', 'SQLite file of the central service')
    .requiredOption('--gateway <id>', 'the gateway id, as in its config (gateway.id)')
    .requiredOption('--pubkey <file>', "the gateway's public key, PEM (dataDir/identity/gateway.pub)")
    .option('--enterprise <name>', 'the enterprise that runs the gateway')
    .action(async (options: { db: string; gateway: string; pubkey: string; enterprise?: string }) => {
      const { CentralStore, checkGatewayId } = await import('./store.ts');
      try {
        checkGatewayId(options.gateway);
      } catch (error) {
        throw asUsage(error);
      }
      let pem: string;
      try {
        pem = readFileSync(options.pubkey, 'utf8');
      } catch (error) {
        throw usage(`cannot read the public key ${options.pubkey}: ${(error as Error).message}`);
      }
      const store = new CentralStore(options.db);
      try {
        const before = store.gateway(options.gateway);
        const gateway = store.register({
          id: options.gateway,
          publicKeyPem: pem,
          ...(options.enterprise === undefined ? {} : { enterprise: options.enterprise }),
        });
        process.stdout.write(
          `gateway ${gateway.id}: ${before ? 'already registered with this key (not changed)' : 'registered'}\n` +
            `fingerprint ${gateway.fingerprint}\n`,
        );
      } catch (error) {
        if (!(error instanceof CentralError)) throw error;
        throw usage(`--pubkey ${options.pubkey}: ${error.message}`);
      } finally {
        store.close();
      }
    });
}
