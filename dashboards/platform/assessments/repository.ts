/**
 * Assessment records on the platform's database, with the workflow of assessment/records/workflow.ts
 * (the same rules as `shugai assess` on a folder): one row per version, its JSON text and sha256; the
 * next version names that hash; a validated row is never updated. Attachments are kept once by
 * content hash. Every call takes the principal first; the record's enterprise decides the scope.
 */

import {
  type AssessmentRecord,
  attachStep,
  checkReplaceable,
  corrupt,
  type Latest,
  newAssessmentId,
  parseRecord,
  recordStep,
  recordText,
  refused,
  type Step,
  sha256,
  validateStep,
} from '../../../assessment/records/workflow.ts';
import { assessInput } from '../../../assessment/run.ts';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { AssessmentRecordTable } from '../db/schema.ts';
import { badRequest, notFound } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';
import { checkAttachment } from './attachments.ts';
import type { RecordSummary } from './schemas.ts';

const summary = (r: AssessmentRecord): RecordSummary => ({
  id: r.id,
  version: r.version,
  stage: r.stage,
  recordedAt: r.recordedAt,
  level: r.report.level,
  officialLevel: r.officialLevel,
});

const where = (row: AssessmentRecordTable) => `assessment ${row.assessment_id} version ${row.version}`;

/** Every version of every assessment of the enterprise, oldest first. */
export async function listAssessments(
  db: Executor,
  principal: Principal,
  enterpriseId: string,
): Promise<RecordSummary[]> {
  await enterpriseInScope(db, principal, enterpriseId);
  const rows = await db
    .selectFrom('assessment_records')
    .selectAll()
    .where('enterprise_id', '=', enterpriseId)
    .orderBy('assessment_id')
    .orderBy('version')
    .execute();
  return rows.map((row) => summary(parseRecord(row.body, where(row))));
}

async function rows(
  db: Executor,
  principal: Principal,
  assessmentId: string,
): Promise<AssessmentRecordTable[]> {
  const found = await db
    .selectFrom('assessment_records')
    .selectAll()
    .where('assessment_id', '=', assessmentId)
    .orderBy('version')
    .execute();
  if (found.length === 0) throw notFound(`assessment ${assessmentId}`);
  await enterpriseInScope(db, principal, (found[0] as AssessmentRecordTable).enterprise_id);
  return found;
}

/** One version (the latest when none is given), checked against its row's hash and its predecessor's. */
export async function getAssessment(
  db: Executor,
  principal: Principal,
  assessmentId: string,
  version?: number,
): Promise<AssessmentRecord> {
  const all = await rows(db, principal, assessmentId);
  const row = version === undefined ? all.at(-1) : all.find((r) => r.version === version);
  if (!row) throw notFound(`version ${version} of assessment ${assessmentId}`);
  return checked(all, row).record;
}

function checked(all: readonly AssessmentRecordTable[], row: AssessmentRecordTable): Latest {
  if (sha256(row.body) !== row.sha256)
    throw corrupt(`${where(row)}: its text does not hash to its recorded sha256`);
  const record = parseRecord(row.body, where(row));
  if (record.previous) {
    const previous = all.find((r) => r.version === record.previous?.version);
    if (previous?.sha256 !== record.previous.sha256)
      throw corrupt(
        `${where(row)}: its previous version ${record.previous.version} has sha256 ${previous?.sha256 ?? 'missing'}, the record names ${record.previous.sha256}`,
      );
  }
  return { record, sha256: row.sha256 };
}

/** Writes a step: a new version is inserted (never over another); a replacement updates an unvalidated latest row. */
async function write(
  trx: Executor,
  principal: Principal,
  enterpriseId: string,
  step: Step,
  before: AssessmentRecord | null,
  now: number,
): Promise<AssessmentRecord> {
  const { record, mode } = step;
  const body = recordText(record);
  const values = { stage: record.stage, validated: record.validation ? 1 : 0, body, sha256: sha256(body) };
  if (mode === 'new') {
    await trx
      .insertInto('assessment_records')
      .values({ assessment_id: record.id, version: record.version, enterprise_id: enterpriseId, ...values })
      .execute();
  } else {
    if (!before) throw refused(`assessment ${record.id} has no version to replace`);
    const latest = await trx
      .selectFrom('assessment_records')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('assessment_id', '=', record.id)
      .executeTakeFirst();
    checkReplaceable(before, latest?.v === null || latest?.v === undefined ? undefined : Number(latest.v));
    await trx
      .updateTable('assessment_records')
      .set(values)
      .where('assessment_id', '=', record.id)
      .where('version', '=', record.version)
      .where('validated', '=', 0)
      .execute();
  }
  await appendAudit(
    trx,
    {
      actor: actorOf(principal),
      action: `assessment.${record.stage}`,
      entity: 'assessment',
      entityId: `${record.id}@${record.version}`,
      before: before && summary(before),
      after: summary(record),
    },
    now,
  );
  return record;
}

/**
 * Locks the enterprise's row for the rest of the transaction (a no-op update: a row lock in
 * PostgreSQL, the write lock in SQLite), so two writers of one enterprise's records take turns and
 * never both write "the next version".
 */
async function lockEnterprise(trx: Executor, enterpriseId: string): Promise<void> {
  await trx
    .updateTable('enterprises')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', enterpriseId)
    .execute();
}

/** The latest version, read under the lock of its enterprise. */
async function latestOf(
  trx: Executor,
  principal: Principal,
  assessmentId: string,
): Promise<{ latest: Latest; enterpriseId: string }> {
  const held = await trx
    .selectFrom('assessment_records')
    .select('enterprise_id')
    .where('assessment_id', '=', assessmentId)
    .executeTakeFirst();
  if (held) await lockEnterprise(trx, held.enterprise_id);
  const all = await rows(trx, principal, assessmentId);
  const row = all.at(-1) as AssessmentRecordTable;
  return { latest: checked(all, row), enterpriseId: row.enterprise_id };
}

/**
 * Records answers at the self-assessment (the enterprise) or on-site stage (an assigned assessor,
 * who is named in the record). The answers must be of this enterprise: its name, and its code if given.
 */
export async function recordAssessment(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  input: { assessment?: string | undefined; stage: 'self' | 'onsite'; answers: unknown },
  now = Date.now(),
): Promise<AssessmentRecord> {
  const enterprise = await enterpriseInScope(db, principal, enterpriseId);
  requireGrant(principal, input.stage === 'self' ? 'assessment.self' : 'assessment.onsite');
  const { answers, report } = await assessInput(input.answers, 'posted', {});
  if (answers.enterprise.name !== enterprise.name)
    throw badRequest(`the answers are of ${answers.enterprise.name}, this enterprise is ${enterprise.name}`);
  if (answers.enterprise.creditCode !== undefined && answers.enterprise.creditCode !== enterprise.uscc)
    throw badRequest(
      `the answers name credit code ${answers.enterprise.creditCode}, this enterprise has ${enterprise.uscc}`,
    );
  return db.transaction().execute(async (trx) => {
    await lockEnterprise(trx, enterpriseId);
    let latest: Latest | null = null;
    if (input.assessment !== undefined) {
      const found = await latestOf(trx, principal, input.assessment);
      if (found.enterpriseId !== enterpriseId)
        throw notFound(`assessment ${input.assessment} of enterprise ${enterpriseId}`);
      latest = found.latest;
    }
    const id = input.assessment ?? newAssessmentId(new Date(now));
    const step = recordStep(
      id,
      latest,
      {
        stage: input.stage,
        answers,
        report,
        ...(input.stage === 'onsite' ? { assessor: principal.name } : {}),
      },
      new Date(now),
    );
    return write(trx, principal, enterpriseId, step, latest?.record ?? null, now);
  });
}

export async function validateAssessment(
  db: Db,
  principal: Principal,
  assessmentId: string,
  now = Date.now(),
): Promise<AssessmentRecord> {
  return db.transaction().execute(async (trx) => {
    const { latest, enterpriseId } = await latestOf(trx, principal, assessmentId);
    requireGrant(principal, 'assessment.validate');
    return write(
      trx,
      principal,
      enterpriseId,
      validateStep(latest, principal.name, new Date(now)),
      latest.record,
      now,
    );
  });
}

export interface Upload {
  item: string;
  fileName: string;
  mediaType: string;
  content: Buffer;
  description: string;
  effectiveDate: string;
}

/** Attaches an uploaded file (type checked, kept once by its sha256) to an item of the latest version. */
export async function attachToAssessment(
  db: Db,
  principal: Principal,
  assessmentId: string,
  upload: Upload,
  now = Date.now(),
): Promise<AssessmentRecord> {
  const hash = sha256(upload.content);
  return db.transaction().execute(async (trx) => {
    const { latest, enterpriseId } = await latestOf(trx, principal, assessmentId);
    requireGrant(principal, 'assessment.attach');
    checkAttachment(upload.mediaType, upload.content);
    const step = attachStep(
      latest,
      {
        item: upload.item,
        file: upload.fileName,
        sha256: hash,
        description: upload.description,
        effectiveDate: upload.effectiveDate,
      },
      new Date(now),
    );
    await trx
      .insertInto('attachments')
      .values({
        sha256: hash,
        size: upload.content.length,
        media_type: upload.mediaType.split(';')[0]?.trim() ?? '',
        content: upload.content,
        created_at: now,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    return write(trx, principal, enterpriseId, step, latest.record, now);
  });
}

/** An attachment's content, if a version of this assessment (in scope) names it. */
export async function getAttachment(
  db: Executor,
  principal: Principal,
  assessmentId: string,
  hash: string,
): Promise<{ mediaType: string; content: Buffer }> {
  const all = await rows(db, principal, assessmentId);
  const named = all.some((row) =>
    parseRecord(row.body, where(row)).attachments.some((a) => a.sha256 === hash),
  );
  const found = named
    ? await db
        .selectFrom('attachments')
        .select(['media_type', 'content'])
        .where('sha256', '=', hash)
        .executeTakeFirst()
    : undefined;
  if (!found) throw notFound(`attachment ${hash} of assessment ${assessmentId}`);
  return { mediaType: found.media_type, content: Buffer.from(found.content) };
}
