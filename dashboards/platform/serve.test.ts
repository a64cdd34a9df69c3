// Two `shugai serve` processes on one real PostgreSQL, as a bureau runs them behind a load balancer:
// a session opened on one is accepted by the other, the login limit counts failures from both, and
// concurrent changes through both, and the same attestations posted to both at once, leave one valid
// audit chain and one copy of each attestation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/services/ports.ts';
import { type Postgres, postgresBinary, startPostgres } from '../../test/services/postgres.ts';
import type { ServiceProcess } from '../../test/services/process.ts';
import { signedChain, testGateway } from '../central/testing.ts';
import { createAccount, principalOf } from './accounts/repository.ts';
import { createToken } from './accounts/tokens.ts';
import { verifyAudit } from './audit/log.ts';
import { openDatabase } from './db/connect.ts';
import { databaseWithGateways, PASSWORD, startServe } from './testing.ts';

const gw = testGateway('yk-gw-two');

describe.skipIf(!postgresBinary.available)('two serve processes on one PostgreSQL', () => {
  let postgres: Postgres;
  let url: string;
  const servers: { proc: ServiceProcess; base: string }[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase();
    await databaseWithGateways(url, [gw]);
    const platform = openDatabase(url);
    try {
      await createAccount(platform.db, 'cli:test', {
        name: 'officer-yk',
        role: 'officer',
        region: '330784',
        displayName: '永康',
        password: PASSWORD,
      });
    } finally {
      await platform.close();
    }
    const started = await Promise.all(
      [0, 1].map(async (i) => startServe(url, await freePort(), ['--insecure-cookies'], `serve-${i}`)),
    );
    servers.push(...started.map(({ proc, url: base }) => ({ proc, base })));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map(({ proc }) => proc.stop()));
    await postgres?.stop();
  });

  const [a, b] = [() => servers[0]!.base, () => servers[1]!.base];
  const login = (base: string, password = PASSWORD) =>
    fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'officer-yk', password }),
    });

  it('accepts on one process the session opened on the other', async () => {
    const opened = await login(a());
    expect(opened.status).toBe(200);
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await opened.json()) as { csrfToken: string };
    const me = await fetch(`${b()}/api/v1/session`, { headers: { cookie } });
    expect(((await me.json()) as { account: { name: string } }).account.name).toBe('officer-yk');
    const token = await fetch(`${b()}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from b' }),
    });
    expect(token.status).toBe(200);
    const out = await fetch(`${a()}/api/v1/session/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(200);
    expect((await fetch(`${b()}/api/v1/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('counts failed logins on both processes against one limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(i % 2 ? b() : a(), 'not the password')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await login(a());
    expect(limited.status).toBe(429);
    expect((await login(b())).status).toBe(429);
  });

  it('keeps one valid audit chain and one copy of each attestation under concurrent writes to both', {
    timeout: 120_000,
  }, async () => {
    const platform = openDatabase(url);
    try {
      const row = await platform.db
        .selectFrom('accounts')
        .selectAll()
        .where('name', '=', 'officer-yk')
        .executeTakeFirstOrThrow();
      const { token } = await createToken(platform.db, principalOf(row), 'load', Date.now());
      const enterprise = await platform.db.selectFrom('enterprises').select('id').executeTakeFirstOrThrow();
      const before = (await verifyAudit(platform.db)).entries;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const changes = Array.from({ length: 30 }, (_, i) =>
        fetch(`${i % 2 ? b() : a()}/api/v1/enterprises/${enterprise.id}/register`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({
            entries: [
              { assetNo: `YK-${i}`, name: '冲床', type: 'press', production: true, status: 'in-use' },
            ],
          }),
        }),
      );
      expect((await Promise.all(changes)).map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(await verifyAudit(platform.db)).toEqual({ ok: true, entries: before + 30 });

      const chain = signedChain(gw, 50);
      const posts = [a(), b(), a(), b()].map((base) =>
        fetch(`${base}/api/v1/attestations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ items: chain }),
        }),
      );
      const answers = await Promise.all(
        posts.map(
          async (p) => (await p).json() as Promise<{ accepted: number; duplicates: number; forks: number }>,
        ),
      );
      expect(answers.reduce((sum, r) => sum + r.accepted, 0)).toBe(50);
      expect(answers.reduce((sum, r) => sum + r.duplicates, 0)).toBe(150);
      expect(answers.every((r) => r.forks === 0)).toBe(true);
      const held = await platform.db
        .selectFrom('attestations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(held.n)).toBe(50);
    } finally {
      await platform.close();
    }
  });
});
