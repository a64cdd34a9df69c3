/**
 * A register as a table (CSV, or a worksheet): find the header row, map its columns to the fields by
 * their accepted headers, and give every later non-empty row its cells. Also the CSV reading itself:
 * UTF-8 with or without BOM, RFC 4180 quoting, each record with the line it starts on.
 */
import type { ConfigIssue } from '../../gateway/config/errors.ts';
import { type CellValue, invalid, issueAt, type RawRow, type RawRows } from './rows.ts';
import { REGISTER_FIELDS, type RegisterField } from './schema.ts';

export interface TableRecord {
  line: number;
  cells: CellValue[];
}

/** A title row or two may sit above the header (合并的标题 "XX公司设备台账"): the header is looked for this far. */
const HEADER_SEARCH = 10;

/** `是否生产设备（是/否）*` → `是否生产设备`: no case, width, spaces, required mark or note in brackets. */
const headerKey = (header: string) =>
  header
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/\*+$/, '')
    .replace(/\([^()]*\)$/, '')
    .toLowerCase();

const HEADERS = new Map<string, { field: RegisterField; rank: number }>(
  REGISTER_FIELDS.flatMap((f) => f.headers.map((h, rank) => [headerKey(h), { field: f.id, rank }] as const)),
);

const cellText = (value: CellValue) => (typeof value === 'string' ? value.trim() : '');
const isEmpty = (record: TableRecord) =>
  record.cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''));

/** The rows of a table whose header row names the fields; `unit` says how its rows are numbered. */
export function tableRows(records: readonly TableRecord[], file: string, unit: RawRows['unit']): RawRows {
  const filled = records.filter((r) => !isEmpty(r));
  const headerAt = filled
    .slice(0, HEADER_SEARCH)
    .findIndex((r) => r.cells.some((c) => HEADERS.get(headerKey(cellText(c)))?.field === 'asset'));
  const assetHeaders = REGISTER_FIELDS.find((f) => f.id === 'asset')!.headers.join(', ');
  if (headerAt < 0) {
    throw invalid([
      issueAt(
        file,
        undefined,
        '',
        `no header row: none of the first ${HEADER_SEARCH} rows names the asset number column (${assetHeaders})`,
      ),
    ]);
  }
  const header = filled[headerAt]!;
  const issues: ConfigIssue[] = [];
  // Several headers of one field (a 台账 often has 资产编号 and 设备编号): the first in the field's list wins.
  const columns = new Map<RegisterField, { index: number; name: string; rank: number }>();
  const seen = new Map<string, string>();
  header.cells.forEach((cell, index) => {
    const name = cellText(cell);
    const known = HEADERS.get(headerKey(name));
    if (!known) return;
    const twin = seen.get(headerKey(name));
    if (twin !== undefined)
      issues.push(issueAt(file, header.line, name, `a second column ${name}; keep one`));
    seen.set(headerKey(name), name);
    const current = columns.get(known.field);
    if (!current || known.rank < current.rank) columns.set(known.field, { index, name, rank: known.rank });
  });
  for (const field of REGISTER_FIELDS) {
    if (field.required && !columns.has(field.id))
      issues.push(
        issueAt(
          file,
          header.line,
          '',
          `missing column ${field.headers[0]} (headers read as it: ${field.headers.join(', ')})`,
        ),
      );
  }
  if (issues.length > 0) throw invalid(issues);
  const rows: RawRow[] = filled.slice(headerAt + 1).map((record) => ({
    line: record.line,
    cells: Object.fromEntries(
      [...columns].map(([field, column]) => [
        field,
        { value: record.cells[column.index] ?? null, column: column.name, line: record.line },
      ]),
    ),
  }));
  return { rows, unit };
}

/** Text from bytes: UTF-8, a BOM dropped. GBK (what Excel's plain "CSV" writes on Chinese Windows) is refused. */
export function decodeUtf8(content: Uint8Array, file: string): string {
  if ((content[0] === 0xff && content[1] === 0xfe) || (content[0] === 0xfe && content[1] === 0xff))
    throw invalid([issueAt(file, undefined, '', 'UTF-16 text; save it as UTF-8 (Excel: "CSV UTF-8")')]);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(content);
  } catch {
    throw invalid([
      issueAt(file, undefined, '', 'not UTF-8 text (GBK?); save it as UTF-8 (Excel: "CSV UTF-8 (逗号分隔)")'),
    ]);
  }
}

/** RFC 4180 records: fields split by commas; in quotes, commas, line breaks (read as \n) and "" for a quote. */
export function csvRecords(text: string, file: string): TableRecord[] {
  const records: TableRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let start = 1;
  let quotedAt = 0; // the line a still open quote began on; 0 when outside quotes
  const endRecord = () => {
    cells.push(cell);
    records.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quotedAt > 0) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quotedAt = 0;
      else if (ch === '\n') {
        line++;
        cell += ch;
      } else if (ch !== '\r' || text[i + 1] !== '\n') cell += ch; // a line break in a cell is \n, as in Excel
    } else if (ch === '"' && cell === '') quotedAt = line;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else cell += ch;
  }
  if (quotedAt > 0) throw invalid([issueAt(file, quotedAt, '', 'a quoted field is not closed')]);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

export const csvRows = (text: string, file: string): RawRows =>
  tableRows(csvRecords(text, file), file, 'line');
