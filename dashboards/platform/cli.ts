/**
 * The platform's operator commands: `shugai serve`, `shugai accounts add|list|disable`,
 * `shugai audit verify`, `shugai central register` (a gateway's key into an enterprise's file) and
 * `shugai export payouts` (the approved payouts of a batch, CSV or XLSX).
 * Each opens the database given by --db (a SQLite file or a postgres:// URL), migrated on open.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createLogger } from '../../core/log.ts';
import { ServiceError } from '../central/errors.ts';
import type { PlatformDb } from './db/connect.ts';
import type { SeededDemo } from './demo/seed.ts';

const usage = (message: string) => Object.assign(new Error(message), { exitCode: 2 });
const dbOption = [
  '--db <file|url>',
  'the platform database: a SQLite file, or postgres://user:password@host/database',
] as const;

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

/** Refusals of the platform's rules are usage errors (exit 2) with their own message. */
function asUsage(error: unknown): Error {
  return error instanceof ServiceError ? usage(error.message) : (error as Error);
}

/** A secret from a file (whitespace around it ignored) or an environment variable, never an argument. */
function secretFrom(
  file: string | undefined,
  envName: string,
  what: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (file !== undefined && env[envName] !== undefined)
    throw usage(`give the ${what} in a file or in ${envName}, not both`);
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw usage(`cannot read the ${what} file ${file}: ${(error as Error).message}`);
    }
  }
  return env[envName]?.trim();
}

/** Opens and migrates the database for one command, and closes it after. */
async function withDb<T>(target: string, body: (platform: PlatformDb) => Promise<T>): Promise<T> {
  const { openDatabase } = await import('./db/connect.ts');
  const { migrate } = await import('./db/migrate.ts');
  const platform = openDatabase(target);
  try {
    await migrate(platform);
    return await body(platform);
  } catch (error) {
    throw asUsage(error);
  } finally {
    await platform.close();
  }
}

const cliActor = () => `cli:${userInfo().username}`;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function registerPlatformCommands(program: Command): void {
  program
    .command('serve')
    .description(
      "run the bureau's platform (the enterprise file, accounts, the central attestation copy) until SIGINT/SIGTERM",
    )
    .requiredOption(...dbOption)
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8787')
    .option(
      '--read-token-file <file>',
      'a service-wide bearer token for reading the central copy (or SHUGAI_CENTRAL_READ_TOKEN)',
    )
    .option('--tls-cert <file>', 'PEM certificate to serve HTTPS with (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--write-rate <n>', 'attestation write requests allowed per client address per minute', '600')
    .option('--insecure-cookies', 'session cookies without Secure: plain-HTTP development only')
    .option(
      '--plant <gateway-config>',
      "a gateway's config file: its store feeds the plant pages (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--seed-demo',
      'load the demo data (one enterprise per seed policy region, their applications, demo accounts) unless on file, and print the demo logins',
    )
    .action(
      async (o: {
        plant: string[];
        seedDemo?: boolean;
        db: string;
        listen: string;
        readTokenFile?: string;
        tlsCert?: string;
        tlsKey?: string;
        writeRate: string;
        insecureCookies?: boolean;
      }) => {
        const { startPlatformServer } = await import('./server.ts');
        const { host, port } = parseListen(o.listen);
        if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
          throw usage('give --tls-cert and --tls-key together');
        const readToken = secretFrom(o.readTokenFile, 'SHUGAI_CENTRAL_READ_TOKEN', 'read token', process.env);
        const logger = createLogger('serve');
        const { plantSourceFromConfig } = await import('../pages/plant-data.ts');
        const plants = await Promise.all(o.plant.map((file) => plantSourceFromConfig(file)));
        const demo = o.seedDemo ? await import('./demo/seed.ts') : undefined;
        let seeded: SeededDemo | undefined;
        const prepare = demo
          ? async (platform: PlatformDb) => {
              seeded = await demo.seedDemo(platform);
              logger.info({ added: seeded.added }, seeded.added ? 'demo data loaded' : 'demo data on file');
            }
          : undefined;
        const running = await startPlatformServer(
          {
            db: o.db,
            host,
            port,
            ...(readToken === undefined ? {} : { centralReadToken: readToken }),
            writeRate: { max: positiveInt(o.writeRate, '--write-rate'), windowMs: 60_000 },
            secureCookies: o.insecureCookies !== true,
            plants,
            ...(o.tlsCert && o.tlsKey ? { tls: { cert: o.tlsCert, key: o.tlsKey } } : {}),
            ...(prepare ? { prepare } : {}),
          },
          logger,
        ).catch((error: unknown) => {
          throw asUsage(error);
        });
        logger.info(
          {
            url: running.url,
            centralReads: readToken === undefined ? 'account tokens' : 'read token or account tokens',
          },
          'platform started',
        );
        if (demo && seeded) {
          const plainHttp = !o.insecureCookies && running.url.startsWith('http:');
          const cookies = plainHttp
            ? '\nOver plain HTTP a browser drops Secure cookies: add --insecure-cookies to log in (development only).'
            : '';
          process.stdout.write(`${demo.describeLogins(seeded, running.url)}${cookies}\n`);
        }
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await running.close();
        logger.info('platform stopped');
      },
    );

  const accounts = program.command('accounts').description('accounts of the platform: add, list, disable');
  accounts
    .command('add')
    .description('add an account; the password comes from --password-file or SHUGAI_ACCOUNT_PASSWORD')
    .requiredOption(...dbOption)
    .requiredOption('--name <name>', 'the login name (lowercase letters, digits, . _ -)')
    .requiredOption('--role <role>', 'enterprise, provider, assessor, officer or admin')
    .option('--display-name <text>', 'the name shown (default: --name)')
    .option('--region <code>', 'officers: the GB/T 2260 prefix they answer for, e.g. 330784 or 4401')
    .option('--enterprise <uscc>', "enterprise accounts: the enterprise's unified social credit code")
    .option('--password-file <file>', 'a file holding the password')
    .action(
      async (o: {
        db: string;
        name: string;
        role: string;
        displayName?: string;
        region?: string;
        enterprise?: string;
        passwordFile?: string;
      }) => {
        const password = secretFrom(o.passwordFile, 'SHUGAI_ACCOUNT_PASSWORD', 'password', process.env);
        if (password === undefined)
          throw usage('give the password with --password-file FILE or SHUGAI_ACCOUNT_PASSWORD');
        const { createAccount } = await import('./accounts/repository.ts');
        await withDb(o.db, async ({ db }) => {
          let enterpriseId: string | undefined;
          if (o.enterprise !== undefined) {
            const found = await db
              .selectFrom('enterprises')
              .select('id')
              .where('uscc', '=', o.enterprise)
              .executeTakeFirst();
            if (!found) throw usage(`--enterprise ${o.enterprise}: no enterprise with this code is on file`);
            enterpriseId = found.id;
          }
          print(
            await createAccount(db, cliActor(), {
              name: o.name,
              role: o.role as never,
              displayName: o.displayName ?? o.name,
              password,
              region: o.region,
              enterpriseId,
            }),
          );
        });
      },
    );
  accounts
    .command('list')
    .description('list the accounts (never their passwords)')
    .requiredOption(...dbOption)
    .action(async (o: { db: string }) => {
      const { listAccounts } = await import('./accounts/repository.ts');
      await withDb(o.db, async ({ db }) => print(await listAccounts(db)));
    });
  accounts
    .command('disable')
    .description('disable an account: its sessions end and its API tokens are revoked')
    .requiredOption(...dbOption)
    .requiredOption('--name <name>', 'the account')
    .action(async (o: { db: string; name: string }) => {
      const { setDisabled } = await import('./accounts/repository.ts');
      await withDb(o.db, async ({ db }) => print(await setDisabled(db, cliActor(), o.name, true)));
    });

  program
    .command('audit')
    .description('the audit log')
    .command('verify')
    .description('check the audit chain; names the first broken entry (exit 1)')
    .requiredOption(...dbOption)
    .action(async (o: { db: string }) => {
      const { verifyAudit } = await import('./audit/log.ts');
      const verdict = await withDb(o.db, async ({ db }) => verifyAudit(db));
      if (verdict.ok) process.stdout.write(`audit chain valid: ${verdict.entries} entries\n`);
      else {
        process.stdout.write(
          `audit chain broken at entry ${verdict.broken?.seq}: ${verdict.broken?.reason}\n`,
        );
        process.exitCode = 1;
      }
    });

  program
    .command('central')
    .description('the central attestation copy (served by `shugai serve`)')
    .command('register')
    .description(
      "register a gateway's Ed25519 public key (from `shugai gateway init`) in an enterprise's file; prints its fingerprint",
    )
    .requiredOption(...dbOption)
    .requiredOption('--enterprise <uscc>', "the enterprise's unified social credit code")
    .requiredOption('--gateway <id>', 'the gateway id, as in its config (gateway.id)')
    .requiredOption('--pubkey <file>', "the gateway's public key, PEM (dataDir/identity/gateway.pub)")
    .action(async (o: { db: string; enterprise: string; gateway: string; pubkey: string }) => {
      let pem: string;
      try {
        pem = readFileSync(o.pubkey, 'utf8');
      } catch (error) {
        throw usage(`cannot read the public key ${o.pubkey}: ${(error as Error).message}`);
      }
      const { registerGateway } = await import('./enterprises/gateways.ts');
      const { operator } = await import('./accounts/roles.ts');
      await withDb(o.db, async ({ db }) => {
        const enterprise = await db
          .selectFrom('enterprises')
          .select('id')
          .where('uscc', '=', o.enterprise)
          .executeTakeFirst();
        if (!enterprise) throw usage(`--enterprise ${o.enterprise}: no enterprise with this code is on file`);
        const { gateway, created } = await registerGateway(db, operator(userInfo().username), enterprise.id, {
          id: o.gateway,
          publicKey: pem,
        });
        process.stdout.write(
          `gateway ${gateway.id}: ${created ? 'registered' : 'already registered with this key (not changed)'}\nfingerprint ${gateway.fingerprint}\n`,
        );
      });
    });

  program
    .command('export')
    .description('exports for the finance office')
    .command('payouts')
    .description('the approved payouts of a batch with the split per funding level, as CSV or XLSX')
    .requiredOption(...dbOption)
    .requiredOption('--batch <n>', 'the batch (批次)')
    .requiredOption('--format <csv|xlsx>', 'csv (UTF-8 with BOM) or xlsx')
    .option('--out <file>', 'write to this file (default: stdout; xlsx needs --out)')
    .action(async (o: { db: string; batch: string; format: string; out?: string }) => {
      const batch = positiveInt(o.batch, '--batch');
      if (o.format !== 'csv' && o.format !== 'xlsx') throw usage(`--format ${o.format}: csv or xlsx`);
      if (o.format === 'xlsx' && o.out === undefined)
        throw usage('--format xlsx writes a binary file: give --out FILE');
      const { approvedPayouts, payoutsCsv, payoutsXlsx } = await import('./export/payouts.ts');
      const { operator } = await import('./accounts/roles.ts');
      const content = await withDb(o.db, async ({ db }) => {
        const rows = await approvedPayouts(db, operator(userInfo().username), batch);
        return o.format === 'csv' ? payoutsCsv(rows) : payoutsXlsx(rows, batch);
      });
      if (o.out === undefined) process.stdout.write(content);
      else writeFileSync(o.out, content);
    });
}
