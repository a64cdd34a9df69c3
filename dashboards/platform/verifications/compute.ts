/**
 * A verification of an application, computed from the file and stored: the validated levels before
 * and after (same edition), the integrity of each gateway's data over the renovation's window against
 * the service's OWN copy of its attestations (not the factory's), the machine evidence beside the
 * answers, and the payout with its 计算说明 and funding split. A part that cannot be computed says
 * why (and the verification is then not payable); nothing is left out silently.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { loadCatalogue } from '../../../assessment/catalogue/load.ts';
import {
  crossCheck,
  type Evidence,
  type Flag,
  measureEvidence,
} from '../../../assessment/evidence/measure.ts';
import { compareRecords } from '../../../assessment/records/compare.ts';
import type { AssessmentRecord } from '../../../assessment/records/workflow.ts';
import { matchRegister, placeInConfig } from '../../../assessment/register/match.ts';
import { registerSchema } from '../../../assessment/register/schema.ts';
import { gatewayDevices, integritySummary } from '../../../assessment/run.ts';
import { ATTESTATION_DEVICE } from '../../../gateway/attest/attestation.ts';
import { openStore } from '../../../gateway/attest/cli.ts';
import { tagCatalog } from '../../../gateway/attest/plausibility.ts';
import { newestStoreAttestation, verifyStore } from '../../../gateway/attest/verify.ts';
import { parseYamlPositions } from '../../../gateway/config/load.ts';
import { DEFAULT_ATTEST_EVERY_MS } from '../../../gateway/config/schema.ts';
import type { SampleReader, TimeWindow } from '../../../gateway/store/reader.ts';
import type { PayoutCase } from '../../../policies/case.ts';
import { renderText } from '../../../policies/engine/render.ts';
import { PolicyError } from '../../../policies/errors.ts';
import { CentralStore } from '../../central/store.ts';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { buildCase, chinaDate } from '../applications/case.ts';
import { applicationInScope, declaredOf, policyBook } from '../applications/repository.ts';
import { getAssessment } from '../assessments/repository.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { EnterpriseTable } from '../db/schema.ts';
import { registerOf } from '../enterprises/register.ts';
import { renovationOf } from '../enterprises/renovation.ts';
import { notFound, PlatformError } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';
import type { Verification } from './schemas.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The renovation's window: from the day its contract was signed (00:00 China time) to the verification. */
export function renovationWindow(signedOn: string, now: number): TimeWindow {
  return { from: Date.parse(`${signedOn}T00:00:00+08:00`), to: now };
}

async function levelsOf(records: {
  before: AssessmentRecord;
  after: AssessmentRecord;
}): Promise<Verification['levels']> {
  try {
    const c = compareRecords(records.before, records.after);
    return { edition: c.edition, before: c.before, after: c.after, level: c.level, score: c.score };
  } catch (error) {
    return { error: message(error) };
  }
}

interface GatewayRow {
  id: string;
  public_key: string;
  store: string | null;
  config: string | null;
}

/** The gateway's config, checked, with its devices; null when none is on file. */
async function parseConfig(gateway: GatewayRow) {
  if (gateway.config === null) return null;
  // No ${…} substitution: a config posted to the service must not read the service's environment.
  const parsed = parseYamlPositions(gateway.config, `gateway ${gateway.id} config`);
  return { parsed, ...(await gatewayDevices(parsed)) };
}

const parsedConfigs = new WeakMap<GatewayRow, ReturnType<typeof parseConfig>>();

/** parseConfig once per gateway row: a verification needs it for the window's end and for the evidence. */
function configOf(gateway: GatewayRow): ReturnType<typeof parseConfig> {
  let config = parsedConfigs.get(gateway);
  if (!config) {
    config = parseConfig(gateway);
    parsedConfigs.set(gateway, config);
  }
  return config;
}

/** The register of the file as assessment/register/ reads it (its type and status words), or why not. */
async function registerFor(db: Executor, enterpriseId: string) {
  const entries = (await registerOf(db, enterpriseId)).map((e) => ({
    asset: e.assetNo,
    name: e.name,
    type: e.type,
    production: e.production,
    status: e.status,
  }));
  const parsed = registerSchema.safeParse({ file: '设备台账 (enterprise file)', entries });
  return parsed.success ? parsed.data : null;
}

/** A gateway's machine evidence, or why there is none. */
export type GatewayEvidence =
  | { gateway: string; unavailable: string }
  | { gateway: string; store: string; measured: Evidence; contradictions: Flag[] };

/**
 * One gateway's machine evidence from its open store over the window: the rates against the file's
 * register (else the config's production devices), the links collected, the level-3 signals; and,
 * given answers, what of them the data contradicts.
 */
async function evidenceOf(
  db: Executor,
  gateway: { id: string; store: string },
  config: Awaited<ReturnType<typeof configOf>>,
  reader: SampleReader,
  window: TimeWindow,
  enterpriseId: string,
  answered: { edition: string; report: AssessmentRecord['report'] } | null,
  edition = answered?.edition ?? '2024',
): Promise<GatewayEvidence> {
  if (!config)
    return {
      gateway: gateway.id,
      unavailable: 'no gateway config on file: its devices and tags are unknown',
    };
  const register = await registerFor(db, enterpriseId);
  const measured = await measureEvidence(
    loadCatalogue(edition),
    config.devices,
    reader,
    window,
    gateway.store,
    register ? { register: matchRegister(register, config.devices, placeInConfig(config.parsed)) } : {},
  );
  return {
    gateway: gateway.id,
    store: gateway.store,
    measured,
    contradictions: answered ? crossCheck(answered.report, measured) : [],
  };
}

/** The enterprise's gateways, in id order. */
const gatewaysOf = (db: Executor, enterpriseId: string) =>
  db
    .selectFrom('gateways')
    .select(['id', 'public_key', 'store', 'config'])
    .where('enterprise_id', '=', enterpriseId)
    .orderBy('id')
    .execute();

/**
 * The window a verification reads: from the renovation contract's day (else `fallbackDay`, China
 * time) to now, or where the gateways' attestations in this service's copy end (`attestedUntil`).
 */
async function windowFor(
  db: Db,
  enterpriseId: string,
  gateways: readonly OpenGateway[],
  fallbackDay: string,
  now: number,
) {
  const renovation = await renovationOf(db, enterpriseId);
  return renovationWindow(
    renovation?.contract.signedOn ?? fallbackDay,
    await attestedUntil(db, gateways, now),
  );
}

/** A gateway row with its config and store opened, or why they could not be. */
interface OpenGateway {
  row: GatewayRow;
  opened: Awaited<ReturnType<typeof openGateway>>;
}

/** Opens every gateway's store (closeAll closes them): the window's end reads them too. */
async function openAll(
  gateways: readonly GatewayRow[],
  open: (store: string, gateway: string) => Promise<SampleReader>,
): Promise<OpenGateway[]> {
  const out: OpenGateway[] = [];
  try {
    for (const row of gateways) out.push({ row, opened: await openGateway(row, open) });
  } catch (error) {
    await closeAll(out);
    throw error;
  }
  return out;
}

async function closeAll(gateways: readonly OpenGateway[]): Promise<void> {
  for (const { opened } of gateways) if ('reader' in opened) await opened.reader.close();
}

/**
 * The machine evidence of an enterprise's gateways over the window a verification would read, for
 * the assessor's questionnaire (beside the items it supports): the same measurement as the
 * verification's, with no integrity check (the bureau's verification makes it). `answered`: a record
 * whose answers the data is checked against.
 */
export async function enterpriseEvidence(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  answered: AssessmentRecord | null,
  options: { edition: string; openStore?: VerifyOptions['openStore'] },
  now: number,
): Promise<{ window: TimeWindow; gateways: GatewayEvidence[] }> {
  await enterpriseInScope(db, principal, enterpriseId);
  const gateways = await openAll(await gatewaysOf(db, enterpriseId), options.openStore ?? openStore);
  try {
    const window = await windowFor(db, enterpriseId, gateways, chinaDate(now - 30 * 86_400_000), now);
    const out: GatewayEvidence[] = [];
    for (const { row: gateway, opened } of gateways) {
      if ('why' in opened) {
        out.push({ gateway: gateway.id, unavailable: opened.why });
        continue;
      }
      const { config, reader, store } = opened;
      try {
        const at = { id: gateway.id, store };
        out.push(await evidenceOf(db, at, config, reader, window, enterpriseId, answered, options.edition));
      } catch (error) {
        out.push({
          gateway: gateway.id,
          unavailable: `reading the store ${gateway.store} failed: ${message(error)}`,
        });
      }
    }
    return { window, gateways: out };
  } finally {
    await closeAll(gateways);
  }
}

/** A gateway's config (checked) and its store opened, or why not: no store on file, a bad config, a store that will not open. */
async function openGateway(
  gateway: GatewayRow,
  open: (store: string, gateway: string) => Promise<SampleReader>,
): Promise<
  { store: string; config: Awaited<ReturnType<typeof configOf>>; reader: SampleReader } | { why: string }
> {
  const store = gateway.store;
  if (store === null)
    return {
      why: 'no store is on file for this gateway: record where it writes (PUT …/gateways/:gateway/store)',
    };
  let config: Awaited<ReturnType<typeof configOf>>;
  try {
    config = await configOf(gateway);
  } catch (error) {
    return { why: `the gateway's config on file is invalid: ${message(error)}` };
  }
  try {
    return { store, config, reader: await open(store, gateway.id) };
  } catch (error) {
    return { why: `cannot open the store ${store}: ${message(error)}` };
  }
}

async function gatewayPart(
  db: Db,
  { row: gateway, opened }: OpenGateway,
  window: TimeWindow,
  context: { enterpriseId: string; after: AssessmentRecord },
): Promise<{
  integrity: Verification['integrity']['gateways'][number];
  evidence: Verification['evidence'][number];
}> {
  const fail = (why: string) => ({
    integrity: { gateway: gateway.id, store: gateway.store, clean: false as const, error: why },
    evidence: { gateway: gateway.id, unavailable: why },
  });
  if ('why' in opened) return fail(opened.why);
  const { config, reader, store } = opened;
  try {
    const central = new CentralStore(db);
    const report = await verifyStore({
      reader,
      publicKey: createPublicKey(gateway.public_key),
      gatewayId: gateway.id,
      window,
      attestations: (range) => central.attestations(gateway.id, range.from, range.to),
      central: true,
      ...(config ? { tags: tagCatalog(config.devices, config.config.derived) } : {}),
    });
    const integrity = { store, ...integritySummary(gateway.id, report) };
    const found = await evidenceOf(
      db,
      { id: gateway.id, store },
      config,
      reader,
      window,
      context.enterpriseId,
      context.after,
    );
    const evidence: Verification['evidence'][number] =
      'unavailable' in found
        ? found
        : {
            gateway: gateway.id,
            denominator: found.measured.denominator ?? null,
            networking: found.measured.networking,
            digitization: found.measured.digitization,
            links: found.measured.links,
            contradictions: found.contradictions,
          };
    return { integrity, evidence };
  } catch (error) {
    return fail(`verifying the store ${store} failed: ${message(error)}`);
  }
}

/** Amounts the service already approved for this enterprise (other applications), for the engine's deductions. */
async function priorPayouts(db: Executor, enterpriseId: string, except: string) {
  const rows = await db
    .selectFrom('applications')
    .innerJoin('decisions', 'decisions.application_id', 'applications.id')
    .innerJoin('verifications', 'verifications.id', 'decisions.verification_id')
    .select(['applications.measure', 'verifications.amount', 'decisions.at'])
    .where('applications.enterprise_id', '=', enterpriseId)
    .where('applications.id', '!=', except)
    .where('applications.state', '=', 'approved')
    .where('decisions.step', '=', 'second')
    .where('decisions.outcome', '=', 'approve')
    .orderBy('decisions.at')
    .execute();
  return rows.map((r) => ({ measure: r.measure, amount: r.amount, date: chinaDate(r.at) }));
}

async function payoutPart(
  db: Executor,
  application: { id: string; measure: string; submitted_at: number; declared: string },
  enterprise: EnterpriseTable,
  after: AssessmentRecord,
  params: Record<string, string>,
): Promise<Verification['payout']> {
  const renovation = await renovationOf(db, enterprise.id);
  if (!renovation)
    return { case: null, error: { code: 'NO_RENOVATION', message: 'the file has no renovation' } };
  const payoutCase: PayoutCase = buildCase({
    measure: application.measure,
    asOf: chinaDate(application.submitted_at),
    enterprise: { ...enterprise, sme: enterprise.sme === 1 },
    declared: declaredOf(application),
    renovation,
    levelAfter: after.officialLevel,
    priorPayouts: await priorPayouts(db, enterprise.id, application.id),
  });
  try {
    const result = policyBook().compute(application.measure, payoutCase, { params });
    return {
      case: payoutCase,
      params,
      measure: result.measure,
      eligible: result.eligible,
      amount: result.amount,
      reasons: result.reasons,
      split: result.split,
      explanation: renderText(result),
      trace: result.trace,
    };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { case: payoutCase, params, error: { code: error.code, message: error.message } };
  }
}

export interface VerifyOptions {
  /** Parameters the measure's document leaves open (the bureau's, e.g. guangzhou.renovationRate). */
  params?: Record<string, string>;
  /** Opens a gateway's store (tests may wrap it); `openStore` of `shugai verify` by default. */
  openStore?: (store: string, gateway: string) => Promise<SampleReader>;
  /** How long a live gateway's data read not clean waits at most to settle (`settled`). */
  settleMs?: number;
}

/**
 * How far a store's own attestations may trail this service's copy and still be a sink delivering
 * (its batches, a retry, a store restarting): the window then ends where the store's end. Further
 * behind, the store is judged over the window: what it lacks is `undelivered`.
 */
const STORE_DELIVERY_LAG_MS = 15 * 60_000;

/**
 * Where a verification's window ends: at `now`, or earlier, one slice (the gateway's `attestEvery`,
 * 10 s unless its config on file says) and as far as its devices' clocks run behind
 * (`devicesBehind`) before the newest attestation both copies hold, where that comes first. The
 * gateway's sinks deliver apart: its points reach its store before their attestation reaches the
 * service (a slice is sealed up to one slice after its first point), and an attestation may reach
 * the service before its slice's points reach the store. Judged, the first would be false
 * "unattested" findings, the second false "deleted" ones. The store's end counts when it trails the
 * service's by STORE_DELIVERY_LAG_MS at most. A gateway with no attestation here does not move the
 * end: its points are unattested indeed.
 */
async function attestedUntil(db: Db, gateways: readonly OpenGateway[], now: number): Promise<number> {
  let end = now;
  for (const { row: gateway, opened } of gateways) {
    const copied = await copyNewest(db, gateway.id);
    if (copied === undefined) continue;
    let last = copied;
    if ('reader' in opened && opened.reader.holdsAttestations !== false) {
      const stored = await newestStoreAttestation(opened.reader, gateway.id, last + 1, STORE_DELIVERY_LAG_MS);
      if (stored) last = stored.stamp;
    }
    const slice = await sliceOf(gateway);
    const behind = 'reader' in opened ? await devicesBehind(opened.reader, gateway.id, last - slice) : 0;
    end = Math.min(end, last - slice - behind);
  }
  return end;
}

/** The most a device's clock behind the gateway's moves a window's end: the verifier's clock tolerance. */
const MAX_DEVICE_BEHIND_MS = 5 * 60_000;

/**
 * How far behind the gateway's clock its devices date their points: the most by which a point dated
 * before `since` was received after it, at most MAX_DEVICE_BEHIND_MS. A device whose clock runs
 * behind (a PLC's, an edge node's) dates its points still on their way that much before the
 * gateway's newest attestation: the window ends that much earlier, or they would be judged unattested.
 */
async function devicesBehind(reader: SampleReader, gatewayId: string, since: number) {
  let behind = 0;
  for await (const s of reader.samples({ from: since - MAX_DEVICE_BEHIND_MS, to: since, gateway: gatewayId }))
    if (s.receivedAt >= since && s.device !== ATTESTATION_DEVICE)
      behind = Math.max(behind, Math.min(s.receivedAt - s.sourceTime, MAX_DEVICE_BEHIND_MS));
  return behind;
}

/** The stamp of the gateway's newest attestation in this service's copy, if any. */
async function copyNewest(db: Db, gatewayId: string): Promise<number | undefined> {
  const newest = await db
    .selectFrom('attestations')
    .select((eb) => eb.fn.max('stamp').as('last'))
    .where('gateway', '=', gatewayId)
    .where('fork', '=', 0)
    .executeTakeFirst();
  return newest?.last === null || newest?.last === undefined ? undefined : Number(newest.last);
}

/** The gateway's slice: its `attestEvery`, 10 s unless its config on file says. */
async function sliceOf(gateway: GatewayRow): Promise<number> {
  return (await configOf(gateway).catch(() => null))?.config.gateway.attestEvery ?? DEFAULT_ATTEST_EVERY_MS;
}

/** How long past its slice a live gateway's data read not clean may take to settle before a second read. */
const SETTLE_GRACE_MS = 20_000;
const SETTLE_POLL_MS = 250;
const MONTH_MS = 31 * 86_400_000;

/**
 * Whether what a live gateway had received at `now` has been sealed and delivered to both this
 * service's copy and its store since: a read of its store at `now` can catch points on their way,
 * whose time puts them in the window although their attestation is not sealed or not delivered yet
 * (a device clock behind the gateway's, values sent again with their first time, a store's sink
 * behind the central one). Waits until both hold an attestation stamped after `now`, at most a
 * slice and SETTLE_GRACE_MS. False for a gateway not live (no attestation of it here for as long)
 * and when the wait runs out: the first read stands.
 */
async function settled(
  db: Db,
  { row, opened }: OpenGateway,
  now: number,
  settleMs: number | undefined,
): Promise<boolean> {
  if (!('reader' in opened)) return false;
  const wait = (await sliceOf(row)) + SETTLE_GRACE_MS;
  const copied = await copyNewest(db, row.id);
  // Live: it delivered an attestation within as long as the wait; one that did not is unlikely to now.
  if (copied === undefined || copied < now - wait) return false;
  const deadline = Date.now() + (settleMs ?? wait);
  for (;;) {
    if (((await copyNewest(db, row.id)) ?? 0) > now) {
      // A store that keeps no attestations (VictoriaMetrics) cannot say how far its sink delivered.
      if (opened.reader.holdsAttestations === false) return true;
      const stored = await newestStoreAttestation(opened.reader, row.id, now + MONTH_MS, MONTH_MS);
      if (stored && stored.stamp > now) return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/**
 * What is wrong with the parameters given for a measure, one entry per parameter: a name the measure
 * does not read, or a value the engine refuses (its reason, with the article). Empty when all hold.
 */
export function parameterProblems(
  measure: string,
  params: Record<string, string>,
): { name: string; reason: string }[] {
  const book = policyBook();
  const reads = book.measureParameters(measure).map((p) => p.decl.name);
  return Object.entries(params).flatMap(([name, value]) => {
    if (!reads.includes(name))
      return [
        {
          name,
          reason: `${name} is not a parameter of ${measure}; it reads ${reads.length ? reads.join(', ') : 'none'}`,
        },
      ];
    try {
      book.checkParams({ [name]: value });
      return [];
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      return [{ name, reason: error.message }];
    }
  });
}

/** Computes the verification of an application and stores it (audited): the slow reads first, then one short transaction. */
export async function verifyApplication(
  db: Db,
  principal: Principal,
  applicationId: string,
  options: VerifyOptions = {},
  now = Date.now(),
): Promise<Verification> {
  const { row, enterprise } = await applicationInScope(db, principal, applicationId);
  requireGrant(principal, 'application.verify');
  const params = options.params ?? {};
  const problems = parameterProblems(row.measure, params);
  if (problems.length > 0) throw new PlatformError('BAD_PARAMETER', problems.map((p) => p.reason).join('; '));
  const before = await getAssessment(db, principal, row.assessment_before);
  const after = await getAssessment(db, principal, row.assessment_after);
  const gateways = await openAll(await gatewaysOf(db, enterprise.id), options.openStore ?? openStore);
  let window: TimeWindow;
  const parts = [];
  try {
    window = await windowFor(db, enterprise.id, gateways, chinaDate(row.submitted_at), now);
    for (const gateway of gateways) {
      const context = { enterpriseId: enterprise.id, after };
      const first = await gatewayPart(db, gateway, window, context);
      // Not clean on a live gateway: read again, over the same window, once what was on its way is in.
      parts.push(
        !first.integrity.clean && (await settled(db, gateway, now, options.settleMs))
          ? await gatewayPart(db, gateway, window, context)
          : first,
      );
    }
  } finally {
    await closeAll(gateways);
  }
  const integrity: Verification['integrity'] = {
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    clean: gateways.length > 0 && parts.every((p) => p.integrity.clean),
    ...(gateways.length === 0
      ? { error: 'no gateway is registered in the file: nothing attests the data' }
      : {}),
    gateways: parts.map((p) => p.integrity),
  };
  const payout = await payoutPart(db, row, enterprise, after, params);
  const verification: Verification = {
    id: `ver_${randomBytes(8).toString('hex')}`,
    applicationId,
    at: now,
    by: principal.name,
    levels: await levelsOf({ before, after }),
    integrity,
    evidence: parts.map((p) => p.evidence),
    payout,
  };
  const eligible = 'eligible' in payout && payout.eligible;
  return db.transaction().execute(async (trx) => {
    const still = await trx
      .selectFrom('applications')
      .select('id')
      .where('id', '=', applicationId)
      .executeTakeFirst();
    if (!still) throw notFound(`application ${applicationId}`);
    await trx
      .insertInto('verifications')
      .values({
        id: verification.id,
        application_id: applicationId,
        at: now,
        by: principal.name,
        clean: integrity.clean ? 1 : 0,
        eligible: eligible ? 1 : 0,
        amount: 'amount' in payout ? payout.amount : '0.00',
        body: JSON.stringify(verification),
      })
      .execute();
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'application.verify',
        entity: 'application',
        entityId: applicationId,
        before: null,
        after: {
          verification: verification.id,
          clean: integrity.clean,
          eligible,
          amount: 'amount' in payout ? payout.amount : '0.00',
        },
      },
      now,
    );
    return verification;
  });
}

/** A stored verification, in the principal's scope. */
export async function getVerification(db: Executor, principal: Principal, id: string): Promise<Verification> {
  const row = await db.selectFrom('verifications').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`verification ${id}`);
  await applicationInScope(db, principal, row.application_id).catch(() => {
    throw notFound(`verification ${id}`);
  });
  return JSON.parse(row.body) as Verification;
}
