/**
 * The assessment records: a folder of JSON files, one per version of an assessment
 * (`<id>.v<N>.json`), and the attached files kept by content (`attachments/<sha256>`).
 *
 * Workflow: self-assessment (`self`) → assessor's on-site assessment (`onsite`) → validation
 * (`validated`). Only a validated record carries the official level. Only the latest version of an
 * assessment can change, and only while it is not validated: moving to the on-site stage, or
 * correcting a validated record, makes a new version that names its predecessor by version and by
 * the sha256 of its file, so a validated record is never rewritten and a tampered chain is found.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
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

const attachmentSchema = z.strictObject({
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

const recordSchema = z.strictObject({
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

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const refused = (message: string) => new AssessmentError('SHUGAI_RECORD_REFUSED', message);
const corrupt = (message: string) => new AssessmentError('SHUGAI_RECORD_CORRUPT', message);
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export class RecordStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new assessment id: the day and 6 random hex digits. */
  newId(): string {
    return `${this.now().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  }

  fileOf(id: string, version: number): string {
    return path.join(this.dir, `${id}.v${version}.json`);
  }

  versions(id: string): number[] {
    // The id becomes a file name: nothing that could leave the folder.
    if (!ID.test(id)) throw refused(`assessment id "${id}": letters, digits, '.', '_' and '-' only`);
    const prefix = `${id}.v`;
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix) && /^\d+\.json$/.test(f.slice(prefix.length)))
      .map((f) => Number(f.slice(prefix.length, -'.json'.length)))
      .sort((a, b) => a - b);
  }

  /** One version (the latest when none is given), its predecessor's hash checked. */
  get(id: string, version?: number): AssessmentRecord {
    const v = version ?? this.versions(id).at(-1);
    if (v === undefined) throw refused(`no assessment "${id}" in ${this.dir}`);
    const record = this.read(id, v);
    if (record.previous) {
      const file = this.fileOf(id, record.previous.version);
      const actual = existsSync(file) ? sha256(readFileSync(file)) : 'missing';
      if (actual !== record.previous.sha256)
        throw corrupt(
          `${this.fileOf(id, v)}: its previous version ${record.previous.version} has sha256 ${actual}, the record names ${record.previous.sha256}`,
        );
    }
    return record;
  }

  private read(id: string, version: number): AssessmentRecord {
    const file = this.fileOf(id, version);
    if (!existsSync(file)) throw refused(`no version ${version} of assessment "${id}" in ${this.dir}`);
    let data: unknown;
    try {
      data = parseJsonStrict(readFileSync(file, 'utf8'), file);
    } catch (error) {
      throw corrupt(error instanceof InputError ? error.message : `${file}: ${(error as Error).message}`);
    }
    const parsed = recordSchema.safeParse(data);
    if (!parsed.success)
      throw corrupt(
        `${file}: ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
      );
    if (parsed.data.id !== id || parsed.data.version !== version)
      throw corrupt(`${file}: holds ${parsed.data.id} version ${parsed.data.version}`);
    return parsed.data;
  }

  /**
   * Records answers and their computed report at the self-assessment or on-site stage: a new
   * assessment, an update of its latest unvalidated version at the same stage, or a new version
   * (self → onsite, or a correction of a validated record, which goes back to on-site).
   */
  record(
    id: string,
    input: { stage: 'self' | 'onsite'; answers: Answers; report: AssessmentReport; assessor?: string },
  ): AssessmentRecord {
    const versions = this.versions(id);
    const latest = versions.length > 0 ? this.get(id) : null;
    if (input.stage === 'onsite' && !input.assessor)
      throw refused('an on-site assessment names its assessor');
    const base = {
      id,
      edition: input.answers.edition,
      enterprise: input.answers.enterprise,
      stage: input.stage,
      recordedAt: this.now().toISOString(),
      ...(input.assessor ? { assessor: input.assessor } : {}),
      answers: input.answers,
      report: input.report,
      officialLevel: null,
    };
    if (!latest) return this.write({ ...base, version: 1, previous: null, attachments: [] }, 'new');
    const where = `assessment "${id}" version ${latest.version}`;
    if (latest.edition !== input.answers.edition)
      throw refused(
        `${where} is of edition ${latest.edition}, the answers of ${input.answers.edition}: start a new assessment`,
      );
    if (latest.enterprise.name !== input.answers.enterprise.name)
      throw refused(
        `${where} is of ${latest.enterprise.name}, the answers of ${input.answers.enterprise.name}`,
      );
    if (input.stage === 'self' && latest.stage !== 'self')
      throw refused(
        `${where} is ${STAGE_NAMES[latest.stage]} (${latest.stage}): a self-assessment cannot follow it`,
      );
    const attachments = latest.attachments;
    if (latest.stage === input.stage)
      return this.write(
        { ...base, version: latest.version, previous: latest.previous, attachments },
        'replace',
      );
    return this.write({ ...base, ...this.successorOf(latest), attachments }, 'new');
  }

  /** Validation (sign-off) of the on-site assessment: the official level, and the record frozen. */
  validate(id: string, by: string): AssessmentRecord {
    const latest = this.get(id);
    const where = `assessment "${id}" version ${latest.version}`;
    if (latest.validation)
      throw refused(`${where} is already validated by ${latest.validation.by} at ${latest.validation.at}`);
    if (latest.stage !== 'onsite')
      throw refused(`${where} is a self-assessment: record the on-site assessment before validating`);
    return this.write(
      {
        ...latest,
        stage: 'validated',
        officialLevel: latest.report.level,
        validation: { by, at: this.now().toISOString() },
      },
      'replace',
    );
  }

  /**
   * Attaches a file to an item as evidence; the file is copied into the store by its sha256. On a
   * validated record this is a correction: a new on-site version.
   */
  attach(
    id: string,
    input: { item: string; file: string; description: string; effectiveDate: string },
  ): AssessmentRecord {
    const latest = this.get(id);
    if (!latest.report.items.some((i) => i.id === input.item))
      throw refused(`item "${input.item}": no such item in edition ${latest.edition}`);
    let content: Buffer;
    try {
      content = readFileSync(input.file);
    } catch (error) {
      throw refused(`attachment ${input.file}: cannot read: ${(error as Error).message}`);
    }
    const attachment = attachmentSchema.safeParse({
      item: input.item,
      file: path.basename(input.file),
      sha256: sha256(content),
      description: input.description,
      effectiveDate: input.effectiveDate,
      uploadedAt: this.now().toISOString(),
    });
    if (!attachment.success)
      throw refused(
        `attachment: ${attachment.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
      );
    const kept = path.join(this.dir, 'attachments', attachment.data.sha256);
    mkdirSync(path.dirname(kept), { recursive: true });
    if (!existsSync(kept)) copyFileSync(input.file, kept);
    const attachments = [...latest.attachments, attachment.data];
    if (!latest.validation) return this.write({ ...latest, attachments }, 'replace');
    const { validation: _, ...unsigned } = latest;
    return this.write(
      {
        ...unsigned,
        ...this.successorOf(latest),
        stage: 'onsite',
        officialLevel: null,
        recordedAt: this.now().toISOString(),
        attachments,
      },
      'new',
    );
  }

  private successorOf(latest: AssessmentRecord) {
    const file = this.fileOf(latest.id, latest.version);
    return {
      version: latest.version + 1,
      previous: { version: latest.version, sha256: sha256(readFileSync(file)) },
    };
  }

  /**
   * The one place a record file is written. A new version never overwrites (exclusive create); a
   * replacement is allowed only of the latest version, and never of a validated one.
   */
  private write(record: AssessmentRecord, mode: 'new' | 'replace'): AssessmentRecord {
    const file = this.fileOf(record.id, record.version);
    mkdirSync(this.dir, { recursive: true });
    const text = `${JSON.stringify(recordSchema.parse(record), null, 2)}\n`;
    if (mode === 'new') {
      try {
        writeFileSync(file, text, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw refused(`${file} exists: a new version never overwrites another`);
        throw error;
      }
      return record;
    }
    const current = this.read(record.id, record.version);
    if (current.validation)
      throw refused(
        `assessment "${record.id}" version ${record.version} was validated by ${current.validation.by} at ${current.validation.at} and cannot be changed: record the correction as a new version`,
      );
    if (this.versions(record.id).at(-1) !== record.version)
      throw refused(
        `assessment "${record.id}" version ${record.version} is not the latest and cannot be changed`,
      );
    // Write then rename: a crash leaves the old file or the new one, never half of one.
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return record;
  }
}
