/**
 * A document's window of validity on a given date. Periods in years follow the Civil Code:
 * art. 201, the first day is not counted; art. 202, the period ends on the corresponding day of the
 * final month, or that month's last day when it has no such day (29 Feb → 28 Feb).
 */
import type { PolicyDocument } from '../schema.ts';
import type { Params } from './params.ts';

export interface Window {
  from: string;
  /** null: no end date. */
  to: string | null;
}

export function addYearsCivilCode(from: string, years: number): string {
  const [y, m, d] = from.split('-').map(Number) as [number, number, number];
  const lastDay = new Date(Date.UTC(y + years, m, 0)).getUTCDate();
  const day = Math.min(d, lastDay);
  return `${String(y + years).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function resolveWindow(doc: PolicyDocument, params: Params): Window {
  const v = doc.validity;
  const from = typeof v.from === 'string' ? v.from : params.date(v.from.parameter);
  const to = v.to === null || typeof v.to === 'string' ? v.to : addYearsCivilCode(from, v.to.years);
  return { from, to };
}

/** Both ends count: 自…起施行 and 有效期至…(止) include the day named. */
export function inWindow(window: Window, date: string): boolean {
  return date >= window.from && (window.to === null || date <= window.to);
}

export function describeWindow(window: Window): string {
  return window.to === null ? `${window.from} 起施行,无截止日期` : `${window.from} 至 ${window.to}`;
}
