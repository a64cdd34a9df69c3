/**
 * Batch input: JSON Lines ({"measure", "case", "params"} per line) or CSV (one case per row, columns
 * named by the case's field paths). Rows are read one line at a time, so a CSV cell cannot hold a
 * line break. Each row becomes an item or a row error; one bad row never stops the others.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { InputError } from '../core/input.ts';
import { parseJsonStrict } from '../core/json.ts';
import { PolicyError } from './errors.ts';

export interface BatchItem {
  line: number;
  measure?: string;
  case?: unknown;
  params: Record<string, string>;
  /** A row that could not be read into a case. */
  error?: PolicyError;
}

const jsonlLine = z.strictObject({
  measure: z.string().min(1).optional(),
  case: z.unknown(),
  params: z.record(z.string(), z.string()).optional(),
});

/** The CSV columns besides `param.<NAME>`, in the order the README documents them. */
export const CSV_COLUMNS = [
  'measure',
  'asOf',
  'enterprise.name',
  'enterprise.region',
  'enterprise.industry',
  'enterprise.aboveScale',
  'enterprise.sme',
  'investment.total',
  'investment.automation',
  'investment.planningFee',
  'investment.robots',
  'investment.cloudPaid',
  'investment.revenue',
  'investment.provincialSubsidy',
  'levelAfter',
  'batch',
  'recognition.name',
  'recognition.tier',
  'recognition.first',
  'priorPayouts',
] as const;

/** RFC 4180 fields of one line: commas separate, double quotes enclose, "" is a quote. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(field);
  return out;
}

function checkHeader(header: string[]): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name) && !/^param\.[a-z]+\.[A-Za-z]+$/.test(name)) {
      throw new PolicyError(
        'SHUGAI_CASE_INVALID',
        `CSV header: unknown column "${name}" (see policies/README.md)`,
      );
    }
    if (seen.has(name))
      throw new PolicyError('SHUGAI_CASE_INVALID', `CSV header: column "${name}" appears twice`);
    seen.add(name);
  }
}

/** A CSV cell as the case's JSON value: booleans and whole numbers where the field is one; empty = absent. */
function cellValue(column: string, cell: string): unknown {
  if (column.endsWith('aboveScale') || column.endsWith('sme') || column === 'recognition.first') {
    return cell === 'true' ? true : cell === 'false' ? false : cell;
  }
  if (column === 'levelAfter' || column === 'batch') return /^\d+$/.test(cell) ? Number(cell) : cell;
  if (column === 'priorPayouts') return jsonOf(cell, column);
  return cell;
}

function csvRow(header: string[], cells: string[], line: number): BatchItem {
  if (cells.length !== header.length) {
    throw new Error(`${cells.length} cells, the header has ${header.length}`);
  }
  const c: Record<string, unknown> = {};
  const params: Record<string, string> = {};
  let measure: string | undefined;
  header.forEach((column, i) => {
    const cell = cells[i]!;
    if (cell === '') return;
    if (column === 'measure') measure = cell;
    else if (column.startsWith('param.')) params[column.slice('param.'.length)] = cell;
    else {
      const [head, tail] = column.split('.') as [string, string | undefined];
      if (tail === undefined) c[head] = cellValue(column, cell);
      else c[head] = { ...(c[head] as object | undefined), [tail]: cellValue(column, cell) };
    }
  });
  return { line, case: c, params, ...(measure === undefined ? {} : { measure }) };
}

/** Strict JSON (no duplicate keys) of a row, or of a CSV cell; readBatch adds the row's line. */
function jsonOf(text: string, column?: string): unknown {
  try {
    return parseJsonStrict(text, 'row');
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const issue = error.issues[0]!;
    const path = [column, issue.path].filter(Boolean).join('.');
    throw new Error(path ? `${path}: ${issue.message}` : issue.message);
  }
}

function jsonlRow(text: string, line: number): BatchItem {
  const parsed = jsonlLine.safeParse(jsonOf(text));
  if (!parsed.success)
    throw new Error(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; '),
    );
  const { measure, params } = parsed.data;
  return {
    line,
    case: parsed.data.case,
    params: params ?? {},
    ...(measure === undefined ? {} : { measure }),
  };
}

/** Yields the items of a .csv or .jsonl file in order. */
export async function* readBatch(file: string): AsyncGenerator<BatchItem> {
  const csv = file.toLowerCase().endsWith('.csv');
  if (!csv && !file.toLowerCase().endsWith('.jsonl')) {
    throw new PolicyError('SHUGAI_CASE_INVALID', `--batch ${file}: expected a .csv or .jsonl file`);
  }
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: string[] | undefined;
  let line = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      if (csv && header === undefined) {
        header = splitCsvLine(text).map((h) => h.trim());
        checkHeader(header);
        continue;
      }
      try {
        yield csv ? csvRow(header!, splitCsvLine(text), line) : jsonlRow(text, line);
      } catch (error) {
        const message =
          error instanceof PolicyError ? error.message : `case invalid: ${(error as Error).message}`;
        yield { line, params: {}, error: new PolicyError('SHUGAI_CASE_INVALID', `line ${line}: ${message}`) };
      }
    }
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError('SHUGAI_CASE_INVALID', `--batch ${file}: ${(error as Error).message}`);
  }
}
