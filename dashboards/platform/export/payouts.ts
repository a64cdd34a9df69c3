/**
 * Approved payouts of a batch, for the bureau's finance office: one row per approved application with
 * the amount of the verification it was approved on and its split per funding level, then a total.
 * CSV (UTF-8 with BOM so Excel reads the Chinese, CRLF, RFC 4180 quoting) and XLSX (exceljs).
 * Sums are exact (decimal.js); in XLSX amounts are numbers with two decimals (every amount in fen
 * below 2^53 is exact as a double), so the finance office can add them up.
 */
import { Decimal } from 'decimal.js';
import ExcelJS from 'exceljs';
import { type Principal, requireGrant } from '../accounts/roles.ts';
import { chinaDate } from '../applications/case.ts';
import { policyBook } from '../applications/repository.ts';
import type { Executor } from '../db/connect.ts';
import { enterpriseScope } from '../scope.ts';

/** Funding levels in the order the policies list them (policies/money.ts's split). */
export const FUNDING_LEVELS = ['central', 'province', 'city', 'district'] as const;

export interface PayoutRow {
  application: string;
  enterprise: string;
  uscc: string;
  region: string;
  batch: number;
  measure: string;
  document: string;
  article: string;
  amount: string;
  /** Per funding level; all null when the measure names no sources (the whole amount is `unsplit`). */
  split: Record<(typeof FUNDING_LEVELS)[number], string | null>;
  unsplit: string | null;
  firstReview: string;
  secondReview: string;
  approvedOn: string;
}

export const HEADER = [
  '申请编号',
  '企业名称',
  '统一社会信用代码',
  '行政区划',
  '批次',
  '政策措施',
  '文件',
  '条款',
  '补助金额(元)',
  '中央',
  '省级',
  '市级',
  '区县级',
  '未分级',
  '初审',
  '复审',
  '批准日期',
] as const;

export async function approvedPayouts(
  db: Executor,
  principal: Principal,
  batch: number,
): Promise<PayoutRow[]> {
  requireGrant(principal, 'payouts.export');
  const rows = await db
    .selectFrom('applications')
    .innerJoin('enterprises', 'enterprises.id', 'applications.enterprise_id')
    .innerJoin('decisions', 'decisions.application_id', 'applications.id')
    .innerJoin('verifications', 'verifications.id', 'decisions.verification_id')
    .innerJoin('accounts', 'accounts.id', 'decisions.officer_id')
    .select([
      'applications.id',
      'applications.measure',
      'enterprises.name',
      'enterprises.uscc',
      'enterprises.region',
      'verifications.amount',
      'verifications.body',
      'decisions.seq',
      'decisions.at',
      'accounts.name as officer',
    ])
    .where(enterpriseScope(principal))
    .where('applications.batch', '=', batch)
    .where('applications.state', '=', 'approved')
    .where('decisions.step', '=', 'second')
    .where('decisions.outcome', '=', 'approve')
    .orderBy('enterprises.uscc')
    .orderBy('applications.id')
    .execute();
  const measures = new Map(
    policyBook()
      .list()
      .map((m) => [m.id, m]),
  );
  const out: PayoutRow[] = [];
  for (const r of rows) {
    const first = await db
      .selectFrom('decisions')
      .innerJoin('accounts', 'accounts.id', 'decisions.officer_id')
      .select('accounts.name')
      .where('decisions.application_id', '=', r.id)
      .where('decisions.step', '=', 'first')
      .where('decisions.seq', '<', r.seq)
      .orderBy('decisions.seq', 'desc')
      .executeTakeFirstOrThrow();
    const split =
      (JSON.parse(r.body) as { payout: { split?: Record<string, string> | null } }).payout.split ?? null;
    const measure = measures.get(r.measure);
    out.push({
      application: r.id,
      enterprise: r.name,
      uscc: r.uscc,
      region: r.region,
      batch,
      measure: r.measure,
      document: measure?.document ?? '',
      article: measure?.article ?? '',
      amount: r.amount,
      split: Object.fromEntries(
        FUNDING_LEVELS.map((l) => [l, split ? (split[l] ?? null) : null]),
      ) as PayoutRow['split'],
      unsplit: split ? null : r.amount,
      firstReview: first.name,
      secondReview: r.officer,
      approvedOn: chinaDate(r.at),
    });
  }
  return out;
}

const money = (values: readonly (string | null)[]) =>
  values.some((v) => v !== null) ? values.reduce((s, v) => s.plus(v ?? 0), new Decimal(0)).toFixed(2) : null;

/** The total row: every money column summed exactly (a column with no amount stays empty). */
export function totals(rows: readonly PayoutRow[]) {
  return {
    amount: money(rows.map((r) => r.amount)) ?? '0.00',
    split: Object.fromEntries(
      FUNDING_LEVELS.map((l) => [l, money(rows.map((r) => r.split[l]))]),
    ) as PayoutRow['split'],
    unsplit: money(rows.map((r) => r.unsplit)),
  };
}

function cells(r: PayoutRow): (string | number | null)[] {
  return [
    r.application,
    r.enterprise,
    r.uscc,
    r.region,
    r.batch,
    r.measure,
    r.document,
    r.article,
    r.amount,
    ...FUNDING_LEVELS.map((l) => r.split[l]),
    r.unsplit,
    r.firstReview,
    r.secondReview,
    r.approvedOn,
  ];
}

function totalCells(rows: readonly PayoutRow[]): (string | number | null)[] {
  const t = totals(rows);
  return [
    '合计',
    `${rows.length} 家`,
    null,
    null,
    null,
    null,
    null,
    null,
    t.amount,
    ...FUNDING_LEVELS.map((l) => t.split[l]),
    t.unsplit,
    null,
    null,
    null,
  ];
}

/** RFC 4180 quoting; a text cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with '. */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text))
    text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function payoutsCsv(rows: readonly PayoutRow[]): string {
  const lines = [[...HEADER], ...rows.map(cells), totalCells(rows)].map((line) =>
    line.map(csvCell).join(','),
  );
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const MONEY_COLUMNS = new Set([9, 10, 11, 12, 13, 14]);

export async function payoutsXlsx(rows: readonly PayoutRow[], batch: number): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'shugai';
  const sheet = book.addWorksheet(`第${batch}批补助`);
  sheet.addRow([...HEADER]).font = { bold: true };
  for (const line of [...rows.map(cells), totalCells(rows)]) {
    const row = sheet.addRow(line.map((v, i) => (v !== null && MONEY_COLUMNS.has(i + 1) ? Number(v) : v)));
    for (const column of MONEY_COLUMNS) row.getCell(column).numFmt = '#,##0.00';
  }
  sheet.lastRow!.font = { bold: true };
  sheet.columns.forEach((c) => {
    c.width = 16;
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}
