/** Test helper (not shipped behaviour): a register's entries written as the files an enterprise hands in. */
import ExcelJS from 'exceljs';
import { stringify } from 'yaml';
import { REGISTER_FIELDS, type RegisterEntry, statusName, typeName } from './schema.ts';

const FIELDS = REGISTER_FIELDS.map((f) => f.id);
const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** Chinese headers and Chinese values, as a register exported from Excel as "CSV UTF-8" (with its BOM). */
export function registerCsv(entries: readonly RegisterEntry[]): string {
  const cells = (e: RegisterEntry) => [
    e.asset,
    e.name,
    typeName(e.type),
    e.production ? '是' : '否',
    statusName(e.status),
    e.workshop ?? '',
    e.line ?? '',
    e.model ?? '',
  ];
  const header = REGISTER_FIELDS.map((f) => f.headers[0]);
  return `\ufeff${[header, ...entries.map(cells)].map((row) => row.map(quote).join(',')).join('\r\n')}\r\n`;
}

/** English headers and ids in a worksheet 设备台账 under a title row, booleans as Excel booleans. */
export async function registerXlsx(entries: readonly RegisterEntry[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('设备台账');
  sheet.addRow(['某公司设备台账']);
  sheet.mergeCells(1, 1, 1, FIELDS.length);
  sheet.addRow(FIELDS);
  for (const e of entries) sheet.addRow(FIELDS.map((f) => e[f] ?? null));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export const registerYaml = (entries: readonly RegisterEntry[]): string => stringify({ devices: entries });
