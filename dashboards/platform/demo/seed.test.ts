// The demo data on SQLite and a real PostgreSQL: five enterprises with valid facts, validated levels
// 1 → 2, an application each whose verification computes the exact payout of its measure; the demo
// logins work; a second seed adds nothing; `shugai serve --seed-demo` prints the logins and restarts
// on the same database without duplicating.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../../../test/gateway/plant.ts';
import type { Principal } from '../accounts/roles.ts';
import { buildPlatformApp } from '../app.ts';
import { regionName } from '../applications/case.ts';
import { verifyAudit } from '../audit/log.ts';
import { industryCodeProblem } from '../enterprises/industry.ts';
import { regionProblem } from '../enterprises/regions.ts';
import { usccProblem } from '../enterprises/uscc.ts';
import { BIN, baseEnv, eachDatabase } from '../testing.ts';
import { verifyApplication } from '../verifications/compute.ts';
import { DEMO_ENTERPRISES, DEMO_KEYS } from './enterprises.ts';
import { DEMO_PASSWORD, describeLogins, seedDemo } from './seed.ts';

/** What each measure pays on the demo's investment, exact (the measure's rate and its article). */
const PAYOUTS = {
  // 186400 + 64800 + 128000 + 40800 = 420000.00 at 40% (永政办发〔2023〕40号 二(一)).
  yongkang: { amount: '168000.00', split: null },
  // 860000.00 at 50%, shared 5:3:2 by central, city and district (海经信〔2024〕10号 11).
  haishu: { amount: '430000.00', split: { central: '215000.00', city: '129000.00', district: '86000.00' } },
  // 1200000.00 at 15% (富阳 三(三)).
  fuyang: { amount: '180000.00', split: null },
  // batch 1, level 2 after: 760000.00 at 50% (鹤壁 19).
  hebi: { amount: '380000.00', split: null },
  // 650000.00 at the bureau's 30% (穗工信函〔2024〕94号 四(二)5).
  guangzhou: { amount: '195000.00', split: null },
} as const;

const officerOf = (region: string): Principal => ({
  id: `acc_test_officer_${region}`,
  name: `test-officer-${region}`,
  role: 'officer',
  region,
  enterpriseId: null,
});

eachDatabase((database) => {
  it('files one enterprise per policy region with valid facts, levels 1 → 2 and an application paying exactly', async () => {
    const platform = await database.open();
    const seeded = await seedDemo(platform);
    expect(seeded.added).toBe(true);
    expect(Object.keys(seeded.enterprises)).toEqual(DEMO_KEYS);
    for (const key of DEMO_KEYS) {
      const { facts, application } = DEMO_ENTERPRISES[key];
      expect(usccProblem(facts.uscc)).toBeUndefined();
      expect(regionProblem(facts.region)).toBeUndefined();
      expect(industryCodeProblem(facts.industry)).toBeUndefined();
      expect(application.measure.startsWith(`${key}.`)).toBe(true);
      expect(regionName(facts.region)).toBeDefined();
    }
    const { db } = platform;
    for (const key of DEMO_KEYS) {
      const officer = officerOf(DEMO_ENTERPRISES[key].facts.region);
      // The demo's history is of 2025; the officer verifies it "now".
      const v = await verifyApplication(
        db,
        officer,
        seeded.applications[key],
        { params: seeded.params[key] ?? {} },
        Date.parse('2026-02-01T10:00:00+08:00'),
      );
      expect(v.levels).toMatchObject({ edition: '2024', before: { level: 1 }, after: { level: 2 } });
      expect({ key, ...v.payout }).toMatchObject({
        key,
        eligible: true,
        amount: PAYOUTS[key].amount,
        split: PAYOUTS[key].split,
        case: { asOf: '2025-10-09', batch: 1, levelAfter: 2 },
      });
      // No gateway is registered by the seed: nothing attests the data yet (`shugai demo` adds 永康's).
      expect(v.integrity).toMatchObject({ clean: false, gateways: [] });
    }
    const registers = await db
      .selectFrom('equipment')
      .select(({ fn }) => ['enterprise_id', fn.countAll<number>().as('n')])
      .groupBy('enterprise_id')
      .execute();
    expect(registers.map((r) => Number(r.n)).sort((a, b) => a - b)).toEqual([11, 11, 15, 19, 27]);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('logs the demo accounts in with the demo password; the officers see 永康 only', async () => {
    const platform = await database.open();
    const seeded = await seedDemo(platform);
    const app = buildPlatformApp({ platform, secureCookies: false });
    expect(seeded.logins.map((l) => [l.name, l.role])).toEqual([
      ['demo-admin', 'admin'],
      ['demo-officer-1', 'officer'],
      ['demo-officer-2', 'officer'],
      ['demo-assessor', 'assessor'],
      ['demo-yongkang', 'enterprise'],
    ]);
    const sessionOf = async (name: string) => {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { name, password: DEMO_PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      return { cookie: `shugai_session=${login.cookies.find((c) => c.name === 'shugai_session')?.value}` };
    };
    const applications = async (name: string) =>
      (
        await app.inject({ method: 'GET', url: '/api/v1/applications', headers: await sessionOf(name) })
      ).json() as { enterpriseName: string; state: string }[];
    expect((await applications('demo-officer-2')).map((a) => a.enterpriseName)).toEqual([
      '永康市恒泰保温杯有限公司',
    ]);
    expect((await applications('demo-yongkang')).map((a) => a.state)).toEqual(['submitted']);
    expect(await applications('demo-admin')).toHaveLength(5);
    expect(await applications('demo-assessor')).toHaveLength(5);
    expect(describeLogins(seeded, 'http://127.0.0.1:8787')).toContain(
      `Demo logins (http://127.0.0.1:8787/login), all with the password ${DEMO_PASSWORD}:`,
    );
    await app.close();
  });

  it('is idempotent: a second seed adds nothing and keeps every id; a changed password stays', async () => {
    const platform = await database.open();
    const first = await seedDemo(platform);
    const count = async (
      table: 'enterprises' | 'accounts' | 'applications' | 'assessment_records' | 'audit_log',
    ) =>
      Number(
        (
          await platform.db
            .selectFrom(table)
            .select(({ fn }) => fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const tables = ['enterprises', 'accounts', 'applications', 'assessment_records', 'audit_log'] as const;
    const before = await Promise.all(tables.map(count));
    expect(before.slice(0, 4)).toEqual([5, 5, 5, 20]);
    const second = await seedDemo(platform, { password: 'another password entirely' });
    expect(second.added).toBe(false);
    expect(second.enterprises).toEqual(first.enterprises);
    expect(second.applications).toEqual(first.applications);
    expect(await Promise.all(tables.map(count))).toEqual(before);
    // The accounts kept the first password: a re-seed never resets one.
    const app = buildPlatformApp({ platform, secureCookies: false });
    const login = (password: string) =>
      app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'demo-admin', password } });
    expect((await login(DEMO_PASSWORD)).statusCode).toBe(200);
    await app.close();
  });
});

describe('shugai serve --seed-demo', () => {
  const start = (db: string) => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--seed-demo', '--insecure-cookies'],
      { env: { ...baseEnv, SHUGAI_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => {
      out.stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d;
    });
    return { child, out };
  };
  const stop = async (child: ChildProcess) => {
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    return exit;
  };

  it('prints the demo logins, serves them, and a restart on the same database duplicates nothing', async () => {
    const db = path.join(mkdtempSync(path.join(tmpdir(), 'shugai-seed-demo-')), 'platform.db');
    for (const run of [1, 2]) {
      const { child, out } = start(db);
      await until(
        () => /never seed a platform/.test(out.stdout) || child.exitCode !== null,
        60_000,
        'the logins',
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${out.stdout}\n${out.stderr}`);
      });
      const url = /^Demo logins \((http:\/\/127\.0\.0\.1:\d+)\/login\)/m.exec(out.stdout)?.[1];
      expect(url, `${out.stdout}\n${out.stderr}`).toBeDefined();
      expect(out.stdout).toContain(`all with the password ${DEMO_PASSWORD}:`);
      expect(out.stdout).toMatch(
        /^ {2}demo-officer-1 {2}officer {4}永康市经信局 张科长: 核验与初审\(永康市\)$/m,
      );
      const login = await fetch(`${url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'demo-admin', password: DEMO_PASSWORD }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers
        .getSetCookie()
        .find((c) => c.startsWith('shugai_session='))
        ?.split(';')[0];
      const list = await fetch(`${url}/api/v1/applications`, { headers: { cookie: cookie ?? '' } });
      expect(((await list.json()) as unknown[]).length, `run ${run}`).toBe(5);
      expect(await stop(child)).toBe(0);
    }
  }, 120_000);
});
