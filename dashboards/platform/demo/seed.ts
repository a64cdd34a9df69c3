/**
 * Demo data for the platform (`shugai serve --seed-demo`, `shugai demo`): one enterprise per region of
 * the seed policy documents (demo/enterprises.ts) with its register, renovation, a validated
 * assessment before (level 1) and after (level 2) and an application under its region's measure;
 * the accounts to walk the chain: an assessor, two officers of 永康 (初审 and 复审 need two people), an
 * admin and the Yongkang plant's enterprise account.
 *
 * The history is dated 2025 (the renovation contracts signed on 2025-04-01, applications in October),
 * inside the validity of every measure: 海曙, 富阳 and 广州's documents end on 2025-12-31, and an
 * application is judged on the day it was submitted. Verifications and decisions are left to the
 * officers (the demo verifies 永康's from its live gateway).
 *
 * Idempotent: what is on file is kept (an account is never reset, a changed password stays), what is
 * missing is added, so a second start, or a start after an interrupted seed, neither duplicates nor fails.
 */
import { accountByName, createAccount, principalOf } from '../accounts/repository.ts';
import type { Principal, Role } from '../accounts/roles.ts';
import { operator } from '../accounts/roles.ts';
import { listApplications, submitApplication } from '../applications/repository.ts';
import { listAssessments, recordAssessment, validateAssessment } from '../assessments/repository.ts';
import { type Db, openDatabase, type PlatformDb } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { assignAssessor } from '../enterprises/assessors.ts';
import { registerOf, replaceRegister } from '../enterprises/register.ts';
import { putRenovation, renovationOf } from '../enterprises/renovation.ts';
import { createEnterprise } from '../enterprises/repository.ts';
import { answersAfter, answersBefore } from './answers.ts';
import { DEMO_ENTERPRISES, DEMO_KEYS, type DemoEnterprise, type DemoKey } from './enterprises.ts';

export { DEMO_ENTERPRISES };

/** The demo accounts' password unless another is given: a demo's, printed for anyone to use. */
export const DEMO_PASSWORD = 'shugai-demo-2026';

/** Who does the seed's steps that no demo account is for (audited as `cli:demo-seed`). */
const SEED_ACTOR = 'demo-seed';

export const DEMO_ACCOUNTS = [
  { name: 'demo-admin', role: 'admin', displayName: '平台管理员', does: '账号管理,可查看全部地区' },
  {
    name: 'demo-officer-1',
    role: 'officer',
    region: '330784',
    displayName: '永康市经信局 张科长',
    does: '核验与初审(永康市)',
  },
  {
    name: 'demo-officer-2',
    role: 'officer',
    region: '330784',
    displayName: '永康市经信局 李主任',
    does: '复审(须与初审不是同一人)',
  },
  {
    name: 'demo-assessor',
    role: 'assessor',
    displayName: '浙江数评评测中心',
    does: '现场评测与确认(五家企业)',
  },
  {
    name: 'demo-yongkang',
    role: 'enterprise',
    enterprise: 'yongkang',
    displayName: '永康市恒泰保温杯有限公司',
    does: '企业:一企一档、自评、申请',
  },
] as const satisfies readonly {
  name: string;
  role: Role;
  region?: string;
  enterprise?: DemoKey;
  displayName: string;
  does: string;
}[];

export interface SeedDemoOptions {
  /** The demo accounts' password (default DEMO_PASSWORD; at least 12 characters). */
  password?: string;
}

export interface DemoLogin {
  name: string;
  role: Role;
  displayName: string;
  does: string;
}

export interface SeededDemo {
  /** Whether this call added anything (false: the demo was complete already). */
  added: boolean;
  password: string;
  logins: DemoLogin[];
  /** Enterprise ids and application ids by demo key. */
  enterprises: Record<DemoKey, string>;
  applications: Record<DemoKey, string>;
  /** Parameters the officers give when they verify (the measure's open ones), by demo key. */
  params: Partial<Record<DemoKey, Record<string, string>>>;
}

/** The day of the demo's history, China time, with a minute offset per enterprise so entries keep order. */
const at = (day: string, hhmm: string, offsetMinutes = 0) =>
  Date.parse(`${day}T${hhmm}:00+08:00`) + offsetMinutes * 60_000;

const ACCOUNTS_ON = at('2025-03-03', '09:00');

export async function seedDemo(platform: PlatformDb, options: SeedDemoOptions = {}): Promise<SeededDemo> {
  const { db } = platform;
  const password = options.password ?? DEMO_PASSWORD;
  const root = operator(SEED_ACTOR);
  let added = false;

  const enterprises = {} as Record<DemoKey, string>;
  for (const [i, key] of DEMO_KEYS.entries()) {
    const { facts } = DEMO_ENTERPRISES[key];
    const held = await db
      .selectFrom('enterprises')
      .select('id')
      .where('uscc', '=', facts.uscc)
      .executeTakeFirst();
    if (held) enterprises[key] = held.id;
    else {
      enterprises[key] = (await createEnterprise(db, root, facts, ACCOUNTS_ON + i * 60_000)).id;
      added = true;
    }
  }

  const accounts = new Map<string, Principal>();
  for (const account of DEMO_ACCOUNTS) {
    let row = await accountByName(db, account.name);
    if (!row) {
      await createAccount(
        db,
        `cli:${SEED_ACTOR}`,
        {
          name: account.name,
          role: account.role,
          displayName: account.displayName,
          password,
          region: 'region' in account ? account.region : undefined,
          enterpriseId: 'enterprise' in account ? enterprises[account.enterprise] : undefined,
        },
        ACCOUNTS_ON + 10 * 60_000,
      );
      row = await accountByName(db, account.name);
      added = true;
    }
    if (row) accounts.set(account.name, principalOf(row));
  }
  const assessor = accounts.get('demo-assessor') as Principal;

  // Phase by phase across the enterprises, so the audit log reads in the order of the history.
  const files: FileSteps[] = DEMO_KEYS.map((key, i) => {
    const demo: DemoEnterprise = DEMO_ENTERPRISES[key];
    const id = enterprises[key];
    // The enterprise's own account where the demo has one, else the seed in the enterprise's role.
    const own = [...accounts.values()].find((p) => p.role === 'enterprise' && p.enterpriseId === id);
    return {
      key,
      id,
      demo,
      offset: i * 7,
      enterprise: own ?? { ...root, role: 'enterprise', enterpriseId: id },
      officer: { ...root, role: 'officer', region: demo.facts.region },
    };
  });
  const applications = {} as Record<DemoKey, string>;
  for (const f of files) {
    if ((await registerOf(db, f.id)).length === 0) {
      await replaceRegister(db, f.officer, f.id, f.demo.register, at('2025-03-04', '10:00', f.offset));
      added = true;
    }
    await assignAssessor(db, root, f.id, assessor.name, at('2025-03-05', '10:00', f.offset));
    const held = (await listApplications(db, root, { enterpriseId: f.id })).find(
      (a) => a.measure === f.demo.application.measure,
    );
    if (held) applications[f.key] = held.id;
  }
  const pending = files.filter((f) => applications[f.key] === undefined);
  const before = new Map<string, string>();
  for (const f of pending) before.set(f.id, await validated(db, f, assessor, 0));
  for (const f of pending)
    if ((await renovationOf(db, f.id)) === null)
      await putRenovation(db, root, f.id, f.demo.renovation, at('2025-04-02', '09:30', f.offset));
  const after = new Map<string, string>();
  for (const f of pending) after.set(f.id, await validated(db, f, assessor, 1));
  for (const f of pending) {
    const application = await submitApplication(
      db,
      f.enterprise,
      f.id,
      {
        ...f.demo.application,
        assessmentBefore: before.get(f.id) as string,
        assessmentAfter: after.get(f.id) as string,
      },
      at('2025-10-09', '10:00', f.offset),
    );
    applications[f.key] = application.id;
    added = true;
  }

  const params: SeededDemo['params'] = {};
  for (const f of files) if (f.demo.params) params[f.key] = f.demo.params;
  return {
    added,
    password,
    logins: DEMO_ACCOUNTS.map(({ name, role, displayName, does }) => ({ name, role, displayName, does })),
    enterprises,
    applications,
    params,
  };
}

interface FileSteps {
  key: DemoKey;
  id: string;
  demo: DemoEnterprise;
  /** Minutes added to each step's time, so the enterprises' entries keep their order. */
  offset: number;
  enterprise: Principal;
  officer: Principal;
}

/** The two assessments: before the renovation (level 1), after it (level 2). */
const STAGES = [
  { answers: answersBefore, networked: 'before', self: '2025-03-10', onsite: '2025-03-12' },
  { answers: answersAfter, networked: 'after', self: '2025-09-15', onsite: '2025-09-18' },
] as const;

/**
 * The enterprise's `n`-th validated assessment (oldest first), recorded where fewer are validated
 * (self, on site by the assessor, validated).
 */
async function validated(db: Db, f: FileSteps, assessor: Principal, n: 0 | 1): Promise<string> {
  const versions = await listAssessments(db, f.enterprise, f.id);
  const held = [...new Set(versions.filter((v) => v.stage === 'validated').map((v) => v.id))];
  if (held[n] !== undefined) return held[n];
  const stage = STAGES[n];
  const machines = f.demo.register.filter((e) => e.production && e.status === 'in-service').length;
  const answers = stage.answers({
    name: f.demo.facts.name,
    uscc: f.demo.facts.uscc,
    machines,
    networked: f.demo.networked[stage.networked],
  });
  const self = await recordAssessment(
    db,
    f.enterprise,
    f.id,
    { stage: 'self', answers },
    at(stage.self, '14:00', f.offset),
  );
  await recordAssessment(
    db,
    assessor,
    f.id,
    { assessment: self.id, stage: 'onsite', answers },
    at(stage.onsite, '10:00', f.offset),
  );
  await validateAssessment(db, assessor, self.id, at(stage.onsite, '16:00', f.offset));
  return self.id;
}

/** Opens (migrating) the platform database at `target`, seeds it, closes it. */
export async function seedDatabase(target: string, options: SeedDemoOptions = {}): Promise<SeededDemo> {
  const platform = openDatabase(target);
  try {
    await migrate(platform);
    return await seedDemo(platform, options);
  } finally {
    await platform.close();
  }
}

/** The logins as the demo prints them, with the warning that these passwords are a demo's. */
export function describeLogins(seeded: Pick<SeededDemo, 'logins' | 'password'>, url?: string): string {
  const width = Math.max(...seeded.logins.map((l) => l.name.length));
  return [
    `Demo logins${url ? ` (${url}/login)` : ''}, all with the password ${seeded.password}:`,
    ...seeded.logins.map(
      (l) => `  ${l.name.padEnd(width)}  ${l.role.padEnd(10)} ${l.displayName}: ${l.does}`,
    ),
    'These are demo accounts with a published password: never seed a platform that holds real data.',
  ].join('\n');
}
