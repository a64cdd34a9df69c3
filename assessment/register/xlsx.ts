/**
 * An XLSX register (exceljs): the worksheet named 设备台账 or register, else the first one, read as a
 * table (table.ts). Cells are read as Excel shows their text: a formula by its result, rich text joined,
 * merged cells by the merged value; a cell that shows an error (#N/A, #REF!) is reported, not read.
 */
import ExcelJS from 'exceljs';
import { type CellValue, invalid, issueAt, type RawRows } from './rows.ts';
import { type TableRecord, tableRows } from './table.ts';

/** Worksheets read in preference to the first one. */
export const REGISTER_SHEETS = ['设备台账', 'register'];

function cellValue(cell: ExcelJS.Cell): CellValue {
  const value = cell.value;
  if (value === null || value === undefined) return null;
  const shown = typeof value === 'object' && 'formula' in value ? value.result : value;
  if (shown && typeof shown === 'object' && 'error' in shown) return { error: String(shown.error) };
  if (shown instanceof Date) return shown.toISOString().slice(0, 10);
  return cell.text;
}

export async function xlsxRows(content: Uint8Array, file: string): Promise<RawRows> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as an ArrayBuffer; a copy of exactly the file's bytes is one.
    await workbook.xlsx.load(content.slice().buffer);
  } catch (error) {
    throw invalid([issueAt(file, undefined, '', `not an .xlsx workbook: ${(error as Error).message}`)]);
  }
  const sheet =
    workbook.worksheets.find((w) => REGISTER_SHEETS.includes(w.name.trim())) ?? workbook.worksheets[0];
  if (!sheet) throw invalid([issueAt(file, undefined, '', 'the workbook has no worksheet')]);
  const records: TableRecord[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    const cells: CellValue[] = [];
    row.eachCell({ includeEmpty: true }, (cell, column) => {
      cells[column - 1] = cellValue(cell);
    });
    records.push({ line, cells: Array.from(cells, (c) => c ?? null) });
  });
  return tableRows(records, file, 'row');
}
