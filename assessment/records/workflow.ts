/**
 * The assessment workflow as pure steps, shared by the records folder (store.ts, `shugai assess`)
 * and the platform's database (dashboards/platform/assessments/): given the latest version and what
 * is asked, each step returns the record to write and whether it is a new version or replaces the
 * latest. Where the record is kept is the caller's business; the rules are here once.
 *
 * Workflow: self-assessment (`self`) → assessor's on-site assessment (`onsite`) → validation
 * (`validated`). Only a validated record carries the official level. Only the latest version of an
 * assessment can change, and only while it is not validated: moving to the on-site stage, or
 * correcting a validated record, makes a new version that names its predecessor by version and by
 * the sha256 of its text, so a validated record is never rewritten and a tampered chain is found.
 */

import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../../core/input.ts';
import { parseJsonStrict } from '../../core/json.ts';
import { formatPath } from '../../gateway/config/errors.ts';
import { type Answers, answersSchema } from '../answers.ts';
import { AssessmentError } from '../errors.ts';
import type { AssessmentReport } from '../report.ts';

export const STAGES = ['self', 'onsite', 'validated'] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE_NAMES: Record<Stage, string> = {
  self: '企业自评',
  onsite: '现场评测',
  validated: '审核确认',
};

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lowercase hex');
const isoTime = z.iso.datetime({ offset: true });

export const attachmentSchema = z.strictObject({
  item: z.string().min(1),
  /** The file's own name, as the assessor gave it. */
  file: z.string().min(1),
  sha256: sha256Hex,
  description: z.string().min(1),
  /** The day the document takes effect (a contract, a meter's calibration), not the upload day. */
  effectiveDate: z.iso.date(),
  uploadedAt: isoTime,
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const recordSchema = z.strictObject({
  id: z.string(),
  version: z.number().int().positive(),
  previous: z.strictObject({ version: z.number().int().positive(), sha256: sha256Hex }).nullable(),
  edition: z.string(),
  enterprise: answersSchema.shape.enterprise,
  stage: z.enum(STAGES),
  recordedAt: isoTime,
  assessor: z.string().min(1).optional(),
  answers: answersSchema,
  attachments: z.array(attachmentSchema),
  // The computed result as it stood when recorded; its shape is score.ts's, checked there.
  report: z.custom<AssessmentReport>((v) => typeof v === 'object' && v !== null && 'items' in v),
  /** The level a bureau pays on: set only by validation. */
  officialLevel: z.number().int().min(1).max(4).nullable(),
  validation: z.strictObject({ by: z.string().min(1), at: isoTime }).optional(),
});
export type AssessmentRecord = z.infer<typeof recordSchema>;

export const ASSESSMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A new assessment id: the day and 6 random hex digits. */
export const newAssessmentId = (now: Date) =>
  `${now.toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
export const refused = (message: string) => new AssessmentError('SHUGAI_RECORD_REFUSED', message);
export const corrupt = (message: string) => new AssessmentError('SHUGAI_RECORD_CORRUPT', message);
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const issues = (error: z.ZodError) =>
  error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');

/** The text a record is kept as; the next version names its sha256. */
export const recordText = (record: AssessmentRecord) =>
  `${JSON.stringify(recordSchema.parse(record), null, 2)}\n`;

/** Parses a kept record; `where` names it (a file, a row) in the error. */
export function parseRecord(text: string, where: string): AssessmentRecord {
  let data: unknown;
  try {
    data = parseJsonStrict(text, where);
  } catch (error) {
    throw corrupt(error instanceof InputError ? error.message : `${where}: ${(error as Error).message}`);
  }
  const parsed = recordSchema.safeParse(data);
  if (!parsed.success) throw corrupt(`${where}: ${issues(parsed.error)}`);
  return parsed.data;
}

/** The latest version as kept: the record and the sha256 of its text. */
export interface Latest {
  record: AssessmentRecord;
  sha256: string;
}

export interface Step {
  record: AssessmentRecord;
  /** `new`: a new version, never over another; `replace`: the latest version, which is not validated. */
  mode: 'new' | 'replace';
}

const successorOf = (latest: Latest) => ({
  version: latest.record.version + 1,
  previous: { version: latest.record.version, sha256: latest.sha256 },
});

export interface RecordInput {
  stage: 'self' | 'onsite';
  answers: Answers;
  report: AssessmentReport;
  assessor?: string;
}

/**
 * Records answers and their computed report at the self-assessment or on-site stage: a new
 * assessment, an update of its latest unvalidated version at the same stage, or a new version
 * (self → onsite, or a correction of a validated record, which goes back to on-site).
 */
export function recordStep(id: string, latest: Latest | null, input: RecordInput, now: Date): Step {
  if (input.stage === 'onsite' && !input.assessor) throw refused('an on-site assessment names its assessor');
  const base = {
    id,
    edition: input.answers.edition,
    enterprise: input.answers.enterprise,
    stage: input.stage,
    recordedAt: now.toISOString(),
    ...(input.assessor ? { assessor: input.assessor } : {}),
    answers: input.answers,
    report: input.report,
    officialLevel: null,
  };
  if (!latest) return { record: { ...base, version: 1, previous: null, attachments: [] }, mode: 'new' };
  const current = latest.record;
  const where = `assessment "${id}" version ${current.version}`;
  if (current.edition !== input.answers.edition)
    throw refused(
      `${where} is of edition ${current.edition}, the answers of ${input.answers.edition}: start a new assessment`,
    );
  if (current.enterprise.name !== input.answers.enterprise.name)
    throw refused(
      `${where} is of ${current.enterprise.name}, the answers of ${input.answers.enterprise.name}`,
    );
  if (input.stage === 'self' && current.stage !== 'self')
    throw refused(
      `${where} is ${STAGE_NAMES[current.stage]} (${current.stage}): a self-assessment cannot follow it`,
    );
  const attachments = current.attachments;
  if (current.stage === input.stage)
    return {
      record: { ...base, version: current.version, previous: current.previous, attachments },
      mode: 'replace',
    };
  return { record: { ...base, ...successorOf(latest), attachments }, mode: 'new' };
}

/** Validation (sign-off) of the on-site assessment: the official level, and the record frozen. */
export function validateStep(latest: Latest, by: string, now: Date): Step {
  const current = latest.record;
  const where = `assessment "${current.id}" version ${current.version}`;
  if (current.validation)
    throw refused(`${where} is already validated by ${current.validation.by} at ${current.validation.at}`);
  if (current.stage !== 'onsite')
    throw refused(`${where} is a self-assessment: record the on-site assessment before validating`);
  return {
    record: {
      ...current,
      stage: 'validated',
      officialLevel: current.report.level,
      validation: { by, at: now.toISOString() },
    },
    mode: 'replace',
  };
}

/**
 * Attaches a file (already kept by its sha256) to an item as evidence. On a validated record this is
 * a correction: a new on-site version.
 */
export function attachStep(
  latest: Latest,
  input: { item: string; file: string; sha256: string; description: string; effectiveDate: string },
  now: Date,
): Step {
  const current = latest.record;
  if (!current.report.items.some((i) => i.id === input.item))
    throw refused(`item "${input.item}": no such item in edition ${current.edition}`);
  const attachment = attachmentSchema.safeParse({
    item: input.item,
    file: input.file,
    sha256: input.sha256,
    description: input.description,
    effectiveDate: input.effectiveDate,
    uploadedAt: now.toISOString(),
  });
  if (!attachment.success) throw refused(`attachment: ${issues(attachment.error)}`);
  const attachments = [...current.attachments, attachment.data];
  if (!current.validation) return { record: { ...current, attachments }, mode: 'replace' };
  const { validation: _, ...unsigned } = current;
  return {
    record: {
      ...unsigned,
      ...successorOf(latest),
      stage: 'onsite',
      officialLevel: null,
      recordedAt: now.toISOString(),
      attachments,
    },
    mode: 'new',
  };
}

/** A replacement is allowed only of the latest version, and never of a validated one. */
export function checkReplaceable(current: AssessmentRecord, latestVersion: number | undefined): void {
  if (current.validation)
    throw refused(
      `assessment "${current.id}" version ${current.version} was validated by ${current.validation.by} at ${current.validation.at} and cannot be changed: record the correction as a new version`,
    );
  if (latestVersion !== current.version)
    throw refused(
      `assessment "${current.id}" version ${current.version} is not the latest and cannot be changed`,
    );
}
