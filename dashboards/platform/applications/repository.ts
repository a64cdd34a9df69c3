/**
 * Applications: an enterprise (or the service provider renovating it) applies under one policy
 * measure, naming the validated assessments before and after. The case for the payout engine is
 * built from the file when the application is verified (verifications/), never typed in here.
 * Every call takes the principal first; the application's enterprise decides the scope.
 */
import { randomBytes } from 'node:crypto';
import { PolicyBook } from '../../../policies/engine/book.ts';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { ApplicationTable } from '../db/schema.ts';
import { renovationOf } from '../enterprises/renovation.ts';
import { badRequest, notFound, PlatformError } from '../errors.ts';
import { enterpriseInScope, enterpriseScope } from '../scope.ts';
import type { ApplicationInput, ApplicationState, ApplicationView, DecisionView } from './schemas.ts';

let book: PolicyBook | undefined;
/** The policy documents, loaded once per process (they are files of this release). */
export const policyBook = (): PolicyBook => {
  book ??= PolicyBook.load();
  return book;
};

/** States in which an application is still open: a second one under the same measure is refused. */
const OPEN: readonly ApplicationState[] = ['submitted', 'first-approved', 'returned'];

interface Declared {
  aboveScale?: boolean;
  recognition?: ApplicationInput['recognition'];
}

export const declaredOf = (row: { declared: string }): Declared => JSON.parse(row.declared) as Declared;

/** The decisions of the application's current round: those after the last `return`. */
export function currentRound(decisions: readonly DecisionView[]): DecisionView[] {
  const lastReturn = decisions.findLastIndex((d) => d.outcome === 'return');
  return decisions.slice(lastReturn + 1);
}

/** The decisions of each application, in order, one query (the list shows them for every row). */
async function decisionsByApplication(
  db: Executor,
  applicationIds: readonly string[],
): Promise<Map<string, DecisionView[]>> {
  const out = new Map<string, DecisionView[]>();
  for (const ids of chunks(applicationIds)) {
    const rows = await db
      .selectFrom('decisions')
      .innerJoin('accounts', 'accounts.id', 'decisions.officer_id')
      .select([
        'decisions.application_id',
        'decisions.step',
        'decisions.outcome',
        'decisions.reason',
        'decisions.verification_id',
        'decisions.at',
        'accounts.name',
      ])
      .where('decisions.application_id', 'in', ids)
      .orderBy('decisions.application_id')
      .orderBy('decisions.seq')
      .execute();
    for (const r of rows) {
      let list = out.get(r.application_id);
      if (!list) {
        list = [];
        out.set(r.application_id, list);
      }
      list.push({
        step: r.step as DecisionView['step'],
        outcome: r.outcome as DecisionView['outcome'],
        reason: r.reason,
        officer: r.name,
        verification: r.verification_id,
        at: r.at,
      });
    }
  }
  return out;
}

export async function decisionsOf(db: Executor, applicationId: string): Promise<DecisionView[]> {
  return (await decisionsByApplication(db, [applicationId])).get(applicationId) ?? [];
}

/** Ids in pieces a statement's parameters hold on SQLite and PostgreSQL alike. */
function* chunks(ids: readonly string[], size = 500): Generator<string[]> {
  for (let at = 0; at < ids.length; at += size) yield ids.slice(at, at + size);
}

type VerificationSummary = { id: string; at: number; clean: number; eligible: number; amount: string };

/** The latest verification of the application, if any (summary columns only). */
export async function latestVerification(
  db: Executor,
  applicationId: string,
): Promise<VerificationSummary | undefined> {
  return (await latestVerifications(db, [applicationId])).get(applicationId);
}

/** The latest verification of each application (summary columns only, never the body), one query a piece. */
async function latestVerifications(
  db: Executor,
  applicationIds: readonly string[],
): Promise<Map<string, VerificationSummary>> {
  const out = new Map<string, VerificationSummary>();
  for (const ids of chunks(applicationIds)) {
    const rows = await db
      .selectFrom('verifications')
      .select(['application_id', 'id', 'at', 'clean', 'eligible', 'amount'])
      .where('application_id', 'in', ids)
      .orderBy('application_id')
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    for (const { application_id, ...summary } of rows)
      if (!out.has(application_id)) out.set(application_id, summary);
  }
  return out;
}

/** The view of an application row, given its latest verification and its decisions. */
function toView(
  row: ApplicationTable,
  enterpriseName: string,
  latest: VerificationSummary | undefined,
  decisions: DecisionView[],
): ApplicationView {
  const declared = declaredOf(row);
  return {
    id: row.id,
    enterpriseId: row.enterprise_id,
    enterpriseName,
    measure: row.measure,
    assessmentBefore: row.assessment_before,
    assessmentAfter: row.assessment_after,
    aboveScale: declared.aboveScale ?? null,
    recognition: declared.recognition ?? null,
    batch: row.batch,
    state: row.state as ApplicationState,
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at,
    updatedAt: row.updated_at,
    verification: latest
      ? {
          id: latest.id,
          at: latest.at,
          clean: latest.clean === 1,
          eligible: latest.eligible === 1,
          amount: latest.amount,
        }
      : null,
    decisions,
  };
}

/** Views of application rows: their verifications and decisions read in two queries, not two a row. */
async function views(
  db: Executor,
  rows: readonly { row: ApplicationTable; enterpriseName: string }[],
): Promise<ApplicationView[]> {
  const ids = rows.map((r) => r.row.id);
  const [latest, decisions] = [await latestVerifications(db, ids), await decisionsByApplication(db, ids)];
  return rows.map(({ row, enterpriseName }) =>
    toView(row, enterpriseName, latest.get(row.id), decisions.get(row.id) ?? []),
  );
}

async function view(db: Executor, row: ApplicationTable, enterpriseName: string): Promise<ApplicationView> {
  return (await views(db, [{ row, enterpriseName }]))[0] as ApplicationView;
}

/** The application's row and enterprise if the principal sees it; NOT_FOUND otherwise. */
export async function applicationInScope(db: Executor, principal: Principal, id: string) {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`application ${id}`);
  const enterprise = await enterpriseInScope(db, principal, row.enterprise_id).catch(() => {
    throw notFound(`application ${id}`);
  });
  return { row, enterprise };
}

export async function getApplication(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<ApplicationView> {
  const { row, enterprise } = await applicationInScope(db, principal, id);
  return view(db, row, enterprise.name);
}

export async function listApplications(
  db: Executor,
  principal: Principal,
  filter: { enterpriseId?: string; state?: ApplicationState; batch?: number; measure?: string } = {},
): Promise<ApplicationView[]> {
  let query = db
    .selectFrom('applications')
    .innerJoin('enterprises', 'enterprises.id', 'applications.enterprise_id')
    .selectAll('applications')
    .select('enterprises.name as enterprise_name')
    .where(enterpriseScope(principal));
  if (filter.enterpriseId !== undefined)
    query = query.where('applications.enterprise_id', '=', filter.enterpriseId);
  if (filter.state !== undefined) query = query.where('applications.state', '=', filter.state);
  if (filter.batch !== undefined) query = query.where('applications.batch', '=', filter.batch);
  if (filter.measure !== undefined) query = query.where('applications.measure', '=', filter.measure);
  const rows = await query.orderBy('applications.submitted_at').orderBy('applications.id').execute();
  return views(
    db,
    rows.map(({ enterprise_name, ...row }) => ({ row, enterpriseName: enterprise_name })),
  );
}

/** Checks what the application names: a known measure, a renovation on file, two validated assessments of this enterprise. */
async function checkInput(trx: Executor, enterpriseId: string, input: ApplicationInput): Promise<void> {
  if (
    !policyBook()
      .list()
      .some((m) => m.id === input.measure)
  )
    throw badRequest(`measure ${input.measure}: no such measure in policies/ (see shugai policy list)`);
  if (!(await renovationOf(trx, enterpriseId)))
    throw badRequest(
      'the enterprise file has no renovation: its investment is what the payout is computed on',
    );
  if (input.assessmentBefore === input.assessmentAfter)
    throw badRequest('the assessments before and after must be two different assessments');
  for (const [side, id] of [
    ['before', input.assessmentBefore],
    ['after', input.assessmentAfter],
  ] as const) {
    const latest = await trx
      .selectFrom('assessment_records')
      .select(['enterprise_id', 'validated', 'version'])
      .where('assessment_id', '=', id)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (latest?.enterprise_id !== enterpriseId)
      throw badRequest(`assessment ${side}: ${id} is not an assessment of this enterprise`);
    if (latest.validated !== 1)
      throw badRequest(
        `assessment ${side}: ${id} version ${latest.version} is not validated; a bureau pays on validated levels only`,
      );
  }
}

const declaredText = (input: ApplicationInput) =>
  JSON.stringify({
    ...(input.aboveScale === undefined ? {} : { aboveScale: input.aboveScale }),
    ...(input.recognition === undefined ? {} : { recognition: input.recognition }),
  });

/** What a (re)submission sets: the assessments, what is declared, the batch, who and when. */
function submission(
  input: ApplicationInput,
  batch: ApplicationTable['batch'],
  principal: Principal,
  now: number,
) {
  return {
    assessment_before: input.assessmentBefore,
    assessment_after: input.assessmentAfter,
    declared: declaredText(input),
    batch,
    state: 'submitted' as const,
    submitted_by: principal.name,
    submitted_at: now,
    updated_at: now,
  };
}

export async function submitApplication(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  input: ApplicationInput,
  now = Date.now(),
): Promise<ApplicationView> {
  return db.transaction().execute(async (trx) => {
    const enterprise = await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'application.submit');
    // One writer per enterprise at a time: two submissions cannot both find no open application.
    await trx
      .updateTable('enterprises')
      .set((eb) => ({ id: eb.ref('id') }))
      .where('id', '=', enterpriseId)
      .execute();
    await checkInput(trx, enterpriseId, input);
    const open = await trx
      .selectFrom('applications')
      .select('id')
      .where('enterprise_id', '=', enterpriseId)
      .where('measure', '=', input.measure)
      .where('state', 'in', OPEN)
      .executeTakeFirst();
    if (open)
      throw new PlatformError(
        'CONFLICT',
        `application ${open.id} under ${input.measure} is still open for this enterprise`,
      );
    const row: ApplicationTable = {
      id: `app_${randomBytes(8).toString('hex')}`,
      enterprise_id: enterpriseId,
      measure: input.measure,
      ...submission(input, enterprise.batch, principal, now),
    };
    await trx.insertInto('applications').values(row).execute();
    const after = await view(trx, row, enterprise.name);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'application.submit',
        entity: 'application',
        entityId: row.id,
        before: null,
        after,
      },
      now,
    );
    return after;
  });
}

/** A returned application, corrected and submitted again: a new round of verification and decisions. */
export async function resubmitApplication(
  db: Db,
  principal: Principal,
  id: string,
  input: ApplicationInput,
  now = Date.now(),
): Promise<ApplicationView> {
  return db.transaction().execute(async (trx) => {
    const { row, enterprise } = await applicationInScope(trx, principal, id);
    requireGrant(principal, 'application.submit');
    await trx.updateTable('applications').set({ updated_at: now }).where('id', '=', id).execute();
    if (row.state !== 'returned')
      throw new PlatformError(
        'WRONG_STATE',
        `application ${id} is ${row.state}; only a returned application is submitted again`,
      );
    if (input.measure !== row.measure)
      throw badRequest(
        `application ${id} is under ${row.measure}; apply under another measure with a new application`,
      );
    await checkInput(trx, row.enterprise_id, input);
    const before = await view(trx, row, enterprise.name);
    const next: ApplicationTable = { ...row, ...submission(input, enterprise.batch, principal, now) };
    await trx.updateTable('applications').set(next).where('id', '=', id).execute();
    const after = await view(trx, next, enterprise.name);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'application.resubmit',
        entity: 'application',
        entityId: id,
        before,
        after,
      },
      now,
    );
    return after;
  });
}
