/**
 * What every form of a register becomes before the field rules read it: rows of cells, each cell
 * knowing its line and how the file names its column, so every message can say where.
 */
import type { ConfigIssue } from '../../gateway/config/errors.ts';
import { RegisterError } from '../errors.ts';
import type { RegisterField } from './schema.ts';

/** A value as a form gives it; XLSX marks a cell that shows an Excel error (#N/A, #REF!). */
export type CellValue = string | number | boolean | null | { error: string };

export interface RawCell {
  value: CellValue;
  /** How the file names the place: the column header as written, or the YAML path. */
  column: string;
  line: number;
}

export interface RawRow {
  line: number;
  cells: Partial<Record<RegisterField, RawCell>>;
  /** YAML: the entry's path (`devices[3]`), to name a key it lacks. */
  path?: string;
}

export interface RawRows {
  rows: RawRow[];
  /** Row numbers are lines in CSV and YAML, rows in a worksheet. */
  unit: 'line' | 'row';
  /** Problems of the file's shape found on the way (YAML), reported with those of the cells. */
  issues?: ConfigIssue[];
}

export const issueAt = (
  file: string,
  line: number | undefined,
  column: string,
  message: string,
): ConfigIssue => ({
  file,
  ...(line === undefined ? {} : { line }),
  path: column,
  message,
});

export const invalid = (issues: ConfigIssue[]) => new RegisterError('SHUGAI_REGISTER_INVALID', issues);
