/**
 * Reads an equipment register (设备台账) from CSV, XLSX or YAML into one small typed result. Every
 * form first becomes rows of cells that know their line and column; one set of field rules then turns
 * them into entries, so the three forms cannot read the same register differently. Every problem is
 * reported with its place (`register.csv:14 资产编号: duplicate asset number ZC-0007 (first at line 3)`)
 * and all of them at once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assetNumberSchema } from '../../core/model.ts';
import type { ConfigIssue } from '../../gateway/config/errors.ts';
import { type CellValue, invalid, issueAt, type RawRows } from './rows.ts';
import {
  DEVICE_TYPES,
  EQUIPMENT_STATUSES,
  NO,
  REGISTER_FIELDS,
  type Register,
  type RegisterEntry,
  type RegisterField,
  registerSchema,
  YES,
} from './schema.ts';
import { csvRows, decodeUtf8 } from './table.ts';
import { xlsxRows } from './xlsx.ts';
import { yamlRows } from './yaml.ts';

export const REGISTER_FORMATS = ['csv', 'xlsx', 'yaml'] as const;
export type RegisterFormat = (typeof REGISTER_FORMATS)[number];

/** More rows than any SME's register has: a larger register is refused. */
const MAX_ENTRIES = 50_000;

/** The form of a file from its name: .csv, .xlsx, .yaml or .yml. */
export function registerFormatOf(file: string): RegisterFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  const hint = ext === '.xls' ? ' (an old .xls workbook: save it as .xlsx)' : '';
  throw invalid([
    issueAt(file, undefined, '', `not a register form${hint}; expected .csv, .xlsx, .yaml or .yml`),
  ]);
}

/**
 * Parses a register from its bytes, e.g. a file uploaded to the bureau's platform. `file` names it in
 * messages; the form comes from its extension unless given. Throws RegisterError listing every problem.
 */
export async function parseRegister(
  content: Uint8Array,
  file: string,
  format: RegisterFormat = registerFormatOf(file),
): Promise<Register> {
  const raw =
    format === 'xlsx'
      ? await xlsxRows(content, file)
      : format === 'csv'
        ? csvRows(decodeUtf8(content, file), file)
        : yamlRows(decodeUtf8(content, file), file);
  return toRegister(raw, file);
}

/** `parseRegister` of a file on disk. */
export async function readRegisterFile(file: string): Promise<Register> {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw invalid([issueAt(file, undefined, '', `cannot read: ${reason}`)]);
  }
  return parseRegister(content, file);
}

/** The lookup of a word list: ids, Chinese names and other words, without case or width differences. */
const wordKey = (text: string) => text.normalize('NFKC').trim().toLowerCase();
function lookup<T extends { id: string; zh: string; also: readonly string[] }>(list: readonly T[]) {
  const byWord = new Map<string, T['id']>();
  for (const item of list)
    for (const word of [item.id, item.zh, ...item.also]) byWord.set(wordKey(word), item.id);
  return byWord;
}
const TYPES = lookup(DEVICE_TYPES);
const STATUSES = lookup(EQUIPMENT_STATUSES);
const choices = (list: readonly { id: string; zh: string }[]) =>
  list.map((x) => `${x.zh} (${x.id})`).join(', ');

type Parsed<T> = { value: T } | { error: string };

/** Text of a cell; numbers as written in a worksheet. Empty is undefined. */
function text(value: CellValue): Parsed<string | undefined> {
  if (value === null) return { value: undefined };
  if (typeof value === 'object') return { error: `the cell shows the error ${value.error}` };
  const t = String(value).trim();
  return { value: t === '' ? undefined : t };
}

const required = (what: string) => ({ error: `empty; ${what}` });

/** Each field from its cell: the value, or why it cannot be read. */
const FIELD_RULES: Record<RegisterField, (value: CellValue) => Parsed<unknown>> = {
  asset(value) {
    // YAML reads 0007 as the number 7: an asset number there must be quoted to keep what was written.
    if (typeof value === 'number')
      return { error: `${value} is a number here; write the asset number in quotes ('${value}')` };
    const t = text(value);
    if ('error' in t) return t;
    if (t.value === undefined) return required('every device needs its asset number');
    const parsed = assetNumberSchema.safeParse(t.value);
    return parsed.success ? { value: parsed.data } : { error: parsed.error.issues[0]!.message };
  },
  name(value) {
    const t = text(value);
    return 'error' in t || t.value !== undefined ? t : required('every device needs its name');
  },
  type(value) {
    const t = text(value);
    if ('error' in t) return t;
    if (t.value === undefined) return required(`expected one of ${choices(DEVICE_TYPES)}`);
    const id = TYPES.get(wordKey(t.value));
    return id
      ? { value: id }
      : { error: `unknown device type "${t.value}"; expected one of ${choices(DEVICE_TYPES)}` };
  },
  production(value) {
    if (typeof value === 'boolean') return { value };
    const t = text(value);
    if ('error' in t) return t;
    const expected = `expected 是 or 否 (also ${[...YES.slice(1), ...NO.slice(1)].join(', ')})`;
    if (t.value === undefined) return required(expected);
    const word = wordKey(t.value);
    if ((YES as readonly string[]).includes(word)) return { value: true };
    if ((NO as readonly string[]).includes(word)) return { value: false };
    return { error: `"${t.value}" is not 是 or 否; ${expected}` };
  },
  status(value) {
    const t = text(value);
    if ('error' in t) return t;
    // No status is read as in service: the device then counts in the denominator, which never flatters.
    if (t.value === undefined) return { value: 'in-service' };
    const id = STATUSES.get(wordKey(t.value));
    return id
      ? { value: id }
      : { error: `unknown status "${t.value}"; expected one of ${choices(EQUIPMENT_STATUSES)}` };
  },
  workshop: text,
  line: text,
  model: text,
};

/** Rows → entries: each field by its rule, a missing status is 在用, asset numbers unique. */
function toRegister({ rows, unit, issues: found = [] }: RawRows, file: string): Register {
  const issues: ConfigIssue[] = [...found];
  if (rows.length === 0) issues.push(issueAt(file, undefined, '', 'no devices in the register'));
  if (rows.length > MAX_ENTRIES)
    throw invalid([
      issueAt(file, undefined, '', `${rows.length} rows; a register is read up to ${MAX_ENTRIES}`),
    ]);
  const entries: RegisterEntry[] = [];
  const firstAt = new Map<string, number>();
  for (const row of rows) {
    const entry: Record<string, unknown> = { status: 'in-service' };
    let complete = true;
    for (const field of REGISTER_FIELDS) {
      const cell = row.cells[field.id];
      if (!cell) {
        if (field.required) {
          issues.push(issueAt(file, row.line, `${row.path ?? ''}.${field.id}`, 'missing'));
          complete = false;
        }
        continue;
      }
      const parsed = FIELD_RULES[field.id](cell.value);
      if ('error' in parsed) {
        issues.push(issueAt(file, cell.line, cell.column, parsed.error));
        complete = false;
      } else if (parsed.value !== undefined) entry[field.id] = parsed.value;
    }
    // A repeated asset number is reported even when the row has other problems.
    const asset = entry.asset as string | undefined;
    const first = asset === undefined ? undefined : firstAt.get(asset);
    if (first !== undefined) {
      const cell = row.cells.asset!;
      issues.push(
        issueAt(file, cell.line, cell.column, `duplicate asset number ${asset} (first at ${unit} ${first})`),
      );
    } else if (asset !== undefined) firstAt.set(asset, row.line);
    if (complete && first === undefined) entries.push(entry as RegisterEntry);
  }
  if (issues.length > 0) throw invalid(issues);
  return registerSchema.parse({ file, entries });
}
