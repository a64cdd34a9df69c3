/**
 * The assessment records in a folder: JSON files, one per version of an assessment
 * (`<id>.v<N>.json`), and the attached files kept by content (`attachments/<sha256>`). The workflow's
 * rules are in workflow.ts (shared with the platform's database); this file only keeps the files.
 */
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
import {
  ASSESSMENT_ID,
  type AssessmentRecord,
  attachStep,
  checkReplaceable,
  corrupt,
  type Latest,
  newAssessmentId,
  parseRecord,
  type RecordInput,
  recordStep,
  recordText,
  refused,
  type Step,
  sha256,
  validateStep,
} from './workflow.ts';

// For the modules that read records from here (compare, report, the CLI).
export { type AssessmentRecord, STAGE_NAMES, sha256 } from './workflow.ts';

export class RecordStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new assessment id: the day and 6 random hex digits. */
  newId(): string {
    return newAssessmentId(this.now());
  }

  fileOf(id: string, version: number): string {
    return path.join(this.dir, `${id}.v${version}.json`);
  }

  versions(id: string): number[] {
    // The id becomes a file name: nothing that could leave the folder.
    if (!ASSESSMENT_ID.test(id))
      throw refused(`assessment id "${id}": letters, digits, '.', '_' and '-' only`);
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
    const record = parseRecord(readFileSync(file, 'utf8'), file);
    if (record.id !== id || record.version !== version)
      throw corrupt(`${file}: holds ${record.id} version ${record.version}`);
    return record;
  }

  private latest(id: string): Latest {
    const record = this.get(id);
    return { record, sha256: sha256(readFileSync(this.fileOf(id, record.version))) };
  }

  record(id: string, input: RecordInput): AssessmentRecord {
    const latest = this.versions(id).length > 0 ? this.latest(id) : null;
    return this.write(recordStep(id, latest, input, this.now()));
  }

  validate(id: string, by: string): AssessmentRecord {
    return this.write(validateStep(this.latest(id), by, this.now()));
  }

  /** Attaches a file to an item as evidence; the file is copied into the store by its sha256. */
  attach(
    id: string,
    input: { item: string; file: string; description: string; effectiveDate: string },
  ): AssessmentRecord {
    const latest = this.latest(id);
    let content: Buffer;
    try {
      content = readFileSync(input.file);
    } catch (error) {
      throw refused(`attachment ${input.file}: cannot read: ${(error as Error).message}`);
    }
    const step = attachStep(
      latest,
      { ...input, file: path.basename(input.file), sha256: sha256(content) },
      this.now(),
    );
    const kept = path.join(this.dir, 'attachments', sha256(content));
    mkdirSync(path.dirname(kept), { recursive: true });
    if (!existsSync(kept)) copyFileSync(input.file, kept);
    return this.write(step);
  }

  /** The one place a record file is written: a new version never overwrites (exclusive create). */
  private write({ record, mode }: Step): AssessmentRecord {
    const file = this.fileOf(record.id, record.version);
    mkdirSync(this.dir, { recursive: true });
    const text = recordText(record);
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
    checkReplaceable(this.read(record.id, record.version), this.versions(record.id).at(-1));
    // Write then rename: a crash leaves the old file or the new one, never half of one.
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return record;
  }
}
