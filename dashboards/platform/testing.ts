/**
 * Runs a block of tests against each database the platform supports: a SQLite file in a temporary
 * folder, and a real PostgreSQL started for the block (skipped loudly without the Debian package
 * postgresql, failing under SHUGAI_REQUIRE_SERVICES=1). Each `open()` gives a fresh, migrated database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Postgres, postgresBinary, startPostgres } from '../../test/services/postgres.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { hashPassword } from './accounts/passwords.ts';
import { principalOf } from './accounts/repository.ts';
import { operator } from './accounts/roles.ts';
import { createToken } from './accounts/tokens.ts';
import { buildPlatformApp, type PlatformOptions } from './app.ts';
import { type DialectName, openDatabase, type PlatformDb } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { assignAssessor } from './enterprises/assessors.ts';
import { registerGateway } from './enterprises/gateways.ts';
import { putRenovation } from './enterprises/renovation.ts';
import { createEnterprise } from './enterprises/repository.ts';
import type { EnterpriseInput } from './enterprises/schemas.ts';

export interface TestDatabase {
  dialect: DialectName;
  /** A fresh migrated database (closed after the block); `target` is its file or URL. */
  open(): Promise<PlatformDb & { target: string }>;
  /** A fresh, empty, unmigrated database target (a file path or a URL). */
  target(): Promise<string>;
}

export function eachDatabase(body: (database: TestDatabase) => void): void {
  describe('sqlite', () => {
    let dir: string;
    let n = 0;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'shugai-platform-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    suite('sqlite', async () => path.join(dir, `platform-${++n}.db`), body);
  });

  describe.skipIf(!postgresBinary.available)('postgres', () => {
    let server: Postgres | undefined;
    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(async () => server?.stop());
    const target = async () => {
      if (!server) throw new Error('PostgreSQL did not start');
      return server.createDatabase();
    };
    suite('postgres', target, body);
  });
}

/** The block's body with `open()` on fresh targets of one dialect; what it opens is closed after. */
function suite(
  dialect: DialectName,
  target: () => Promise<string>,
  body: (database: TestDatabase) => void,
): void {
  const opened: PlatformDb[] = [];
  // Registered after the dialect's own afterAll; vitest runs after-hooks in reverse order, so the
  // databases close before their server stops.
  afterAll(async () => {
    for (const db of opened) await db.close();
  });
  body({
    dialect,
    target,
    async open() {
      const t = await target();
      const db = openDatabase(t);
      opened.push(db);
      await migrate(db);
      return { ...db, target: t };
    },
  });
}

let seedHash: Promise<string> | undefined;

/** The password every seeded account has. */
export const PASSWORD = 'correct horse battery staple';

/** Real, valid unified social credit codes (their check characters hold) for the seeded enterprises. */
export const USCC = {
  yongkang: '91330100716105852F',
  hebi: '914403001922038216',
  guangzhou: '9144030071526726XG',
} as const;

export const ENTERPRISES = {
  yongkang: {
    name: '永康某保温杯有限公司',
    uscc: USCC.yongkang,
    region: '330784',
    industry: '3382',
    scale: 'small',
    sme: true,
    batch: 1,
  },
  hebi: {
    name: '鹤壁某机械有限公司',
    uscc: USCC.hebi,
    region: '410600',
    industry: '3484',
    scale: 'medium',
    sme: true,
    batch: 2,
  },
  guangzhou: {
    name: '广州某电子有限公司',
    uscc: USCC.guangzhou,
    region: '440106',
    industry: '3981',
    scale: 'micro',
    sme: true,
    batch: null,
  },
} as const satisfies Record<string, EnterpriseInput>;

export interface World {
  app: FastifyInstance;
  platform: PlatformDb;
  /** Enterprise ids by key of ENTERPRISES. */
  enterprise: Record<keyof typeof ENTERPRISES, string>;
  /** Bearer headers of each seeded account, by account name. */
  as(name: string): { authorization: string };
  /** A request as a seeded account. */
  call(
    name: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
}

/**
 * A platform with three enterprises (永康 330784, 鹤壁 410600, 广州天河 440106) and one account of
 * each kind around them: officers of 330784, 4106 and 4401; the enterprise accounts of 永康 and 鹤壁;
 * two providers (the first renovates 永康), two assessors (the first assigned to 永康), an admin.
 * Each account gets an API token, so tests speak as it with `as(name)`.
 */
export async function seedWorld(
  platform: PlatformDb,
  options: Partial<PlatformOptions> = {},
): Promise<World> {
  const { db } = platform;
  const root = operator('test');
  const enterprise = {} as Record<keyof typeof ENTERPRISES, string>;
  for (const [key, input] of Object.entries(ENTERPRISES))
    enterprise[key as keyof typeof ENTERPRISES] = (await createEnterprise(db, root, input)).id;
  const accounts = [
    { name: 'admin', role: 'admin' },
    { name: 'officer-yk', role: 'officer', region: '330784' },
    { name: 'officer-hb', role: 'officer', region: '4106' },
    { name: 'officer-gz', role: 'officer', region: '4401' },
    { name: 'ent-yk', role: 'enterprise', enterpriseId: enterprise.yongkang },
    { name: 'ent-hb', role: 'enterprise', enterpriseId: enterprise.hebi },
    { name: 'provider-1', role: 'provider' },
    { name: 'provider-2', role: 'provider' },
    { name: 'assessor-1', role: 'assessor' },
    { name: 'assessor-2', role: 'assessor' },
  ] as const;
  // One scrypt hash for every seeded account (each costs a third of a second on a busy machine);
  // creating accounts through the API is tested on its own.
  seedHash ??= hashPassword(PASSWORD);
  const passwordHash = await seedHash;
  const tokens = new Map<string, string>();
  for (const [i, a] of accounts.entries()) {
    const row = {
      id: `acc_seed${i}`,
      name: a.name,
      role: a.role,
      region: 'region' in a ? a.region : null,
      enterprise_id: 'enterpriseId' in a ? a.enterpriseId : null,
      display_name: a.name,
      password_hash: passwordHash,
      disabled: 0,
      created_at: Date.now(),
    };
    await db.insertInto('accounts').values(row).execute();
    tokens.set(a.name, (await createToken(db, principalOf(row), 'tests', Date.now())).token);
  }
  await putRenovation(db, root, enterprise.yongkang, {
    contract: { number: 'YK-2025-001', signedOn: '2025-03-01' },
    provider: 'provider-1',
    items: [{ category: 'hardware', description: '数据采集网关 2 台', amount: '36000.00' }],
  });
  await assignAssessor(db, root, enterprise.yongkang, 'assessor-1');
  const app = buildPlatformApp({ platform, ...options });
  const as = (name: string) => {
    const token = tokens.get(name);
    if (!token) throw new Error(`no seeded account ${name}`);
    return { authorization: `Bearer ${token}` };
  };
  return {
    app,
    platform,
    enterprise,
    as,
    call: (name, method, url, payload) => app.inject({ method, url, headers: as(name), payload }),
  };
}

/**
 * Prepares a platform database at `target` (a file or a URL) with 永康's enterprise and these gateways
 * registered in its file, for tests that then run `serve` on it.
 */
export async function databaseWithGateways(
  target: string,
  gateways: readonly { id: string; publicKeyPem: string }[],
): Promise<void> {
  const platform = openDatabase(target);
  try {
    await migrate(platform);
    const enterprise = await createEnterprise(platform.db, operator('test'), ENTERPRISES.yongkang);
    for (const gateway of gateways)
      await registerGateway(platform.db, operator('test'), enterprise.id, {
        id: gateway.id,
        publicKey: gateway.publicKeyPem,
      });
  } finally {
    await platform.close();
  }
}

export const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
export const baseEnv = {
  ...process.env,
  SHUGAI_CENTRAL_READ_TOKEN: undefined,
  SHUGAI_ACCOUNT_PASSWORD: undefined,
};

/**
 * `shugai serve --db DB --listen 127.0.0.1:PORT` with `extra` flags, as its own process, once it
 * answers /healthz.
 */
export async function startServe(
  db: string,
  port: number,
  extra: readonly string[] = [],
  name = 'shugai serve',
): Promise<{ proc: ServiceProcess; url: string }> {
  const url = `http://127.0.0.1:${port}`;
  const proc = new ServiceProcess(name, process.execPath, [
    BIN,
    'serve',
    '--db',
    db,
    '--listen',
    `127.0.0.1:${port}`,
    ...extra,
  ]);
  await proc.waitUntil(async () => (await fetch(`${url}/healthz`)).ok, 60_000);
  return { proc, url };
}

/** Runs `shugai …` without blocking the event loop (spawnSync would stall a PostgreSQL test's pool). */
export function runShugai(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...baseEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
