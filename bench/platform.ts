/**
 * The bureau's platform under a batch (issue #13): verifications per minute for a batch of
 * enterprises with a day of machine data each, and API latency under concurrent users.
 *
 * Each enterprise (all in 永康市, 330784, batch 1) has one gateway writing an embedded store as a
 * gateway does: one press with four tags (speed, parts, mould temperature, power) polled every 10 s,
 * each poll one attestation slice (the gateway's default `attestEvery` is 10 s), signed with the
 * gateway's own Ed25519 key: a day is 34,560 samples and 8,640 attestations. Its attestations are
 * posted to the platform's intake (`POST /api/v1/attestations`, 5,000 a request), its file holds the
 * renovation (450,000.00 yuan), the gateway, its store, two validated assessments, and an application
 * under yongkang.nx-renovation. Then an officer verifies the 200 applications one after the other
 * through the API (`inject`); each must come back clean, with every attestation valid and the payout
 * 180000.00. Baseline in the same run: `verifyStore` alone on one enterprise's store and window (its
 * own attestations), median of 3 before and 3 after the batch.
 *
 * Then `shugai serve` on the same database in a child process, and N users (each an officer with
 * their own session, logged in through `POST /api/v1/session`) each send one request after another
 * over real HTTP (keep-alive) for S seconds: the application list, one application, an enterprise's
 * file, in turn. Baseline: `GET /healthz` under the same load, before and after.
 *
 *   node --import tsx bench/platform.ts                  # 200 enterprises × 24 h, 50 users × 30 s
 *   node --import tsx bench/platform.ts --db postgres    # the same on a real PostgreSQL
 *   node --import tsx bench/platform.ts --smoke          # 5 enterprises × 1 h, 5 users × 3 s
 *   options: --enterprises N, --hours H, --users U, --seconds S
 *
 * Smoke exits 1 on an error or a wrong result (a verification not clean, a payout not 180000.00, a
 * request not answered 200), never for a speed.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fortyPoints, lowestAnswers } from '../assessment/fixtures.ts';
import { hashPassword } from '../dashboards/platform/accounts/passwords.ts';
import { principalOf } from '../dashboards/platform/accounts/repository.ts';
import { operator, type Principal } from '../dashboards/platform/accounts/roles.ts';
import { createToken } from '../dashboards/platform/accounts/tokens.ts';
import { buildPlatformApp } from '../dashboards/platform/app.ts';
import { submitApplication } from '../dashboards/platform/applications/repository.ts';
import { recordAssessment, validateAssessment } from '../dashboards/platform/assessments/repository.ts';
import { openDatabase, type PlatformDb } from '../dashboards/platform/db/connect.ts';
import { migrate } from '../dashboards/platform/db/migrate.ts';
import { assignAssessor } from '../dashboards/platform/enterprises/assessors.ts';
import { registerGateway, setGatewayStore } from '../dashboards/platform/enterprises/gateways.ts';
import { putRenovation } from '../dashboards/platform/enterprises/renovation.ts';
import { createEnterprise } from '../dashboards/platform/enterprises/repository.ts';
import { usccCheckCharacter } from '../dashboards/platform/enterprises/uscc.ts';
import { Attestor } from '../gateway/attest/attestor.ts';
import { fingerprint } from '../gateway/attest/identity.ts';
import { verifyStore } from '../gateway/attest/verify.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';
import { goodSample } from '../gateway/sinks/testing.ts';
import { freePort } from '../test/services/ports.ts';
import { type Postgres, startPostgres } from '../test/services/postgres.ts';
import { ServiceProcess } from '../test/services/process.ts';
import { ensureCurrentBuild, fmt, line, median, numberOption, ROOT, runChecked } from './gateway-shared.ts';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const ENTERPRISES = numberOption(args, '--enterprises', smoke ? 5 : 200);
const HOURS = numberOption(args, '--hours', smoke ? 1 : 24);
const USERS = numberOption(args, '--users', smoke ? 5 : 50);
const SECONDS = numberOption(args, '--seconds', smoke ? 3 : 30);
const DIALECT = args.includes('--db') ? args[args.indexOf('--db') + 1] : 'sqlite';
if (DIALECT !== 'sqlite' && DIALECT !== 'postgres') throw new Error('--db is sqlite or postgres');

const POLL_MS = 10_000;
const TAGS = 4;
const DAY_FROM = Date.parse('2026-01-01T00:00:00+08:00');
const DATA_TO = DAY_FROM + HOURS * 3_600_000;
/** The platform's clock: an hour after the data, the day the applications are submitted. */
const NOW = DATA_TO + 3_600_000;
const MEASURE = 'yongkang.nx-renovation';
/** 40 % of 450,000.00 (永政办发〔2023〕40号 二(一)4), as applications.test.ts has it. */
const EXPECTED_AMOUNT = '180000.00';
const PASSWORD = 'bench password for officers';
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-bench-platform-'));
const problems: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** A valid unified social credit code of a company registered in 永康 (330784), numbered n. */
function uscc(n: number): string {
  const first17 = `91330784${String(n).padStart(8, '0')}A`;
  return `${first17}${usccCheckCharacter(first17)}`;
}

interface Gateway {
  id: string;
  publicKeyPem: string;
  file: string;
  items: { stamp: number; attestation: unknown }[];
}

/** HOURS of one press (four tags every 10 s) in an embedded store, one signed attestation a poll. */
async function writeStore(id: string): Promise<Gateway> {
  const gwDir = path.join(dir, id);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const identity = { privateKey, publicKey, fingerprint: fingerprint(publicKey), publicKeyPem };
  const file = path.join(gwDir, 'samples.db');
  const store = new EmbeddedStore('embedded', file);
  let clock = DAY_FROM;
  const attestor = new Attestor(identity, id, path.join(gwDir, 'chain.json'), () => clock);
  const items: Gateway['items'] = [];
  let pending: StoredSample[] = [];
  for (let t = DAY_FROM, i = 0; t < DATA_TO; t += POLL_MS, i++) {
    const poll = [
      goodSample('press-01', 'speed', 'number', 1200 + (i % 7) * 3.5, t, 20),
      goodSample('press-01', 'parts', 'integer', i, t, 20),
      goodSample('press-01', 'mould_temp', 'number', 182.5 + (i % 11) * 0.25, t, 20),
      goodSample('press-01', 'power_kw', 'number', 14.2 + (i % 5) * 0.1, t, 20),
    ];
    clock = t + 1000;
    const attestation = attestor.attest(poll);
    pending.push(...poll, attestation);
    items.push({ stamp: attestation.sourceTime, attestation: JSON.parse(String(attestation.value)) });
    if (pending.length >= 5_000) {
      await store.write(pending);
      pending = [];
    }
  }
  await store.write(pending);
  await store.close();
  return { id, publicKeyPem, file, items };
}

async function openPlatform(): Promise<{ platform: PlatformDb; target: string }> {
  let target = path.join(dir, 'platform.db');
  if (DIALECT === 'postgres') {
    const server: Postgres = await startPostgres();
    cleanups.push(() => server.stop());
    target = await server.createDatabase();
  }
  const platform = openDatabase(target);
  await migrate(platform);
  return { platform, target };
}

/** An account row inserted directly (one scrypt hash for all), as dashboards/platform/testing.ts does. */
async function addAccount(platform: PlatformDb, name: string, role: 'officer' | 'assessor', hash: string) {
  const row = {
    id: `acc_${name}`,
    name,
    role,
    region: role === 'officer' ? '330784' : null,
    enterprise_id: null,
    display_name: name,
    password_hash: hash,
    disabled: 0,
    created_at: NOW,
  };
  await platform.db.insertInto('accounts').values(row).execute();
  return principalOf(row);
}

/** Files one enterprise whole (facts, renovation, gateway and store, assessments) and applies. */
async function fileEnterprise(platform: PlatformDb, n: number, gw: Gateway, assessor: Principal) {
  const { db } = platform;
  const root = operator('bench');
  const name = `永康市压测${n}号制造有限公司`;
  const enterprise = await createEnterprise(
    db,
    root,
    { name, uscc: uscc(n), region: '330784', industry: '3382', scale: 'small', sme: true, batch: 1 },
    DAY_FROM - 86_400_000,
  );
  const id = enterprise.id;
  await putRenovation(db, root, id, {
    contract: { number: `YK-BENCH-${n}`, signedOn: '2026-01-01' },
    provider: null,
    items: [
      { category: 'hardware', description: '数据采集网关与传感器', amount: '300000.00' },
      { category: 'software', description: 'MES 一套', amount: '149999.99' },
      { category: 'service', description: '实施服务', amount: '0.01' },
    ],
  });
  await registerGateway(db, root, id, { id: gw.id, publicKey: gw.publicKeyPem });
  await setGatewayStore(db, root, id, gw.id, { store: gw.file });
  await assignAssessor(db, root, id, assessor.name);
  const self: Principal = { ...root, role: 'enterprise', enterpriseId: id };
  const validated = async (answers: object) => {
    const a = { ...answers, enterprise: { name } };
    const record = await recordAssessment(db, self, id, { stage: 'self', answers: a }, NOW - 3_000);
    await recordAssessment(
      db,
      assessor,
      id,
      { assessment: record.id, stage: 'onsite', answers: a },
      NOW - 2_000,
    );
    await validateAssessment(db, assessor, record.id, NOW - 1_000);
    return record.id;
  };
  const before = await validated(lowestAnswers());
  const after = await validated(fortyPoints());
  const application = await submitApplication(
    db,
    self,
    id,
    { measure: MEASURE, aboveScale: true, assessmentBefore: before, assessmentAfter: after },
    NOW,
  );
  return { enterprise: id, application: application.id };
}

/** `verifyStore` alone on a gateway's store over the window the platform verified, its own attestations. */
async function rawVerify(gw: Gateway, window: { from: number; to: number }): Promise<number> {
  const { createPublicKey } = await import('node:crypto');
  const reader = new EmbeddedStore('embedded', gw.file);
  const start = performance.now();
  const report = await verifyStore({
    reader,
    publicKey: createPublicKey(gw.publicKeyPem),
    gatewayId: gw.id,
    window,
    now: () => NOW,
  });
  const ms = performance.now() - start;
  await reader.close();
  if (!report.clean) problems.push(`raw verifyStore of ${gw.id} not clean`);
  return ms;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: USERS * 2 });

function request(
  base: string,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${url}`, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/** Every user sends one request after another for SECONDS; latencies by label. */
async function load(
  base: string,
  cookies: readonly string[],
  next: (user: number, i: number) => { label: string; url: string },
) {
  const latencies = new Map<string, number[]>();
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    cookies.map(async (cookie, user) => {
      for (let i = 0; performance.now() < end; i++) {
        const { label, url } = next(user, i);
        const t = performance.now();
        const r = await request(base, 'GET', url, { cookie });
        const ms = performance.now() - t;
        if (r.status !== 200) {
          errors++;
          if (errors <= 3) problems.push(`GET ${url}: ${r.status} ${r.body.slice(0, 200)}`);
        }
        const held = latencies.get(label);
        if (held) held.push(ms);
        else latencies.set(label, [ms]);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { latencies, errors, seconds };
}

function report(title: string, result: Awaited<ReturnType<typeof load>>) {
  const all = [...result.latencies.values()].flat().sort((a, b) => a - b);
  line(
    title,
    `${fmt(all.length / result.seconds)} req/s, p50 ${fmt(percentile(all, 50), 1)} ms, p99 ${fmt(percentile(all, 99), 1)} ms, ${result.errors} errors`,
  );
  if (result.latencies.size > 1)
    for (const [label, values] of result.latencies) {
      const sorted = [...values].sort((a, b) => a - b);
      line(
        `  ${label}`,
        `${fmt(values.length)} requests, p50 ${fmt(percentile(sorted, 50), 1)} ms, p99 ${fmt(percentile(sorted, 99), 1)} ms`,
      );
    }
  return { p50: percentile(all, 50), p99: percentile(all, 99), rate: all.length / result.seconds };
}

async function main() {
  ensureCurrentBuild();
  console.log(
    `platform bench: ${ENTERPRISES} enterprises × ${HOURS} h (1 press, ${TAGS} tags every 10 s, one attestation a poll), ${DIALECT}`,
  );
  const t0 = performance.now();
  const gateways: Gateway[] = [];
  for (let n = 1; n <= ENTERPRISES; n++)
    gateways.push(await writeStore(`bench-gw${String(n).padStart(3, '0')}`));
  const perStore = gateways[0]!.items.length;
  line(
    'stores written',
    `${fmt((performance.now() - t0) / 1000, 1)} s: ${fmt(ENTERPRISES)} × (${fmt(perStore * TAGS)} samples + ${fmt(perStore)} attestations)`,
  );

  const { platform, target } = await openPlatform();
  cleanups.unshift(() => platform.close());
  const hash = await hashPassword(PASSWORD);
  const assessor = await addAccount(platform, 'bench-assessor', 'assessor', hash);
  const officer = await addAccount(platform, 'bench-officer', 'officer', hash);
  const { token } = await createToken(platform.db, officer, 'bench', NOW);
  const bearer = { authorization: `Bearer ${token}` };
  const app = buildPlatformApp({ platform, now: () => NOW, writeRate: { max: 1_000_000, windowMs: 60_000 } });
  await app.ready();

  const t1 = performance.now();
  const files: { enterprise: string; application: string }[] = [];
  for (const [i, gw] of gateways.entries()) files.push(await fileEnterprise(platform, i + 1, gw, assessor));
  line('files and applications', `${fmt((performance.now() - t1) / 1000, 1)} s`);

  const t2 = performance.now();
  let posted = 0;
  for (const gw of gateways)
    for (let i = 0; i < gw.items.length; i += 5_000) {
      const items = gw.items.slice(i, i + 5_000);
      const r = await app.inject({ method: 'POST', url: '/api/v1/attestations', payload: { items } });
      if (r.statusCode !== 200) throw new Error(`intake: ${r.statusCode} ${r.body}`);
      posted += items.length;
    }
  const intakeS = (performance.now() - t2) / 1000;
  line(
    'attestations through the intake',
    `${fmt(posted)} in ${fmt(intakeS, 1)} s, ${fmt(posted / intakeS)}/s`,
  );

  // Verify the batch through the API, one after the other, as an officer does from the queue.
  let window: { from: number; to: number } | undefined;
  const rawBefore = [];
  const verifyOnce = async (k: number) => {
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/applications/${files[k]!.application}/verifications`,
      headers: bearer,
      payload: {},
    });
    if (r.statusCode !== 201) throw new Error(`verification ${k}: ${r.statusCode} ${r.body.slice(0, 500)}`);
    const v = r.json();
    const gw = v.integrity?.gateways?.[0];
    if (!v.integrity?.clean || gw?.attestations?.valid !== perStore || v.payout?.amount !== EXPECTED_AMOUNT)
      problems.push(
        `application ${k + 1}: clean ${v.integrity?.clean}, ${gw?.attestations?.valid} of ${perStore} attestations valid, payout ${v.payout?.amount}`,
      );
    window = { from: Date.parse(v.integrity.window.from), to: Date.parse(v.integrity.window.to) };
  };
  // One untimed verification first: it gives the window for the baseline and warms the code.
  await verifyOnce(0);
  if (!window) throw new Error('no window');
  for (let i = 0; i < 3; i++) rawBefore.push(await rawVerify(gateways[i % gateways.length]!, window));
  const each: number[] = [];
  const t3 = performance.now();
  for (let k = 0; k < files.length; k++) {
    const t = performance.now();
    await verifyOnce(k);
    each.push(performance.now() - t);
  }
  const batchS = (performance.now() - t3) / 1000;
  const rawAfter = [];
  for (let i = 0; i < 3; i++) rawAfter.push(await rawVerify(gateways[i % gateways.length]!, window));
  const raw = median([...rawBefore, ...rawAfter]);
  const platformMedian = median(each);
  console.log();
  line(
    'verifications through the API',
    `${fmt(files.length)} in ${fmt(batchS, 1)} s: ${fmt((files.length / batchS) * 60, 1)} verifications/min`,
  );
  line(
    '  one verification (median)',
    `${fmt(platformMedian)} ms (min ${fmt(Math.min(...each))}, max ${fmt(Math.max(...each))})`,
  );
  line(
    'baseline: verifyStore of one store',
    `${fmt(raw)} ms (median of 6: ${[...rawBefore, ...rawAfter].map((x) => fmt(x)).join(', ')}), ${fmt(60_000 / raw, 1)}/min`,
  );
  line('  platform ÷ baseline', `${fmt(platformMedian / raw, 2)} ×`);
  await app.close();

  // Users: officers with a session each, against `shugai serve` in its own process.
  const users = [];
  for (let u = 1; u <= USERS; u++) users.push(await addAccount(platform, `bench-user-${u}`, 'officer', hash));
  await platform.close();
  cleanups.shift();
  const port = await freePort();
  const server = new ServiceProcess('serve', process.execPath, [
    path.join(ROOT, 'bin/shugai.mjs'),
    'serve',
    '--db',
    target,
    '--listen',
    `127.0.0.1:${port}`,
    '--insecure-cookies',
  ]);
  cleanups.unshift(() => server.stop());
  const base = `http://127.0.0.1:${port}`;
  await server.waitUntil(async () => (await request(base, 'GET', '/healthz')).status === 200, 60_000);
  const cookies: string[] = [];
  for (const user of users) {
    const r = await request(
      base,
      'POST',
      '/api/v1/session',
      { 'content-type': 'application/json' },
      JSON.stringify({ name: user.name, password: PASSWORD }),
    );
    const cookie = String(r.headers['set-cookie']?.[0] ?? '').split(';')[0];
    if (r.status !== 200 || !cookie) throw new Error(`login ${user.name}: ${r.status} ${r.body}`);
    cookies.push(cookie);
  }
  const list = await request(base, 'GET', '/api/v1/applications', { cookie: cookies[0]! });
  const listed = JSON.parse(list.body) as unknown[];
  if (!Array.isArray(listed) || listed.length !== ENTERPRISES)
    problems.push(
      `the application list has ${Array.isArray(listed) ? listed.length : list.body.slice(0, 100)} entries, not ${ENTERPRISES}`,
    );

  console.log(
    `\n${USERS} users, ${SECONDS} s each window, one request after another (shugai serve, ${DIALECT}):`,
  );
  const healthz = () => ({ label: 'healthz', url: '/healthz' });
  const reads = (user: number, i: number) => {
    const k = (user * 7 + i) % files.length;
    const routes = [
      { label: 'GET /api/v1/applications', url: '/api/v1/applications' },
      { label: 'GET /api/v1/applications/:id', url: `/api/v1/applications/${files[k]!.application}` },
      { label: 'GET /api/v1/enterprises/:id', url: `/api/v1/enterprises/${files[k]!.enterprise}` },
    ];
    return routes[i % routes.length]!;
  };
  const h1 = report('baseline: GET /healthz', await load(base, cookies, healthz));
  const r = report('read routes', await load(base, cookies, reads));
  const h2 = report('baseline: GET /healthz (after)', await load(base, cookies, healthz));
  line(
    '  reads ÷ healthz',
    `p50 ${fmt(r.p50 / median([h1.p50, h2.p50]), 1)} ×, p99 ${fmt(r.p99 / median([h1.p99, h2.p99]), 1)} ×, req/s ${fmt(r.rate / median([h1.rate, h2.rate]), 2)} ×`,
  );
}

await runChecked(
  main,
  async () => {
    agent.destroy();
    for (const cleanup of cleanups) await cleanup().catch((e) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
  },
  problems,
);
