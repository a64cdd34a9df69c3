/**
 * Conditions: a case field against a bound or a set, with the glossary's bounds — 以上/以下/以内
 * include the number (atLeast/atMost), 超过/不满 exclude it (moreThan/lessThan). Text compares after
 * NFKC normalisation without spaces and quotation marks, so 专精特新“小巨人”企业 matches
 * 专精特新小巨人企业. The industry compares by GB/T 4754-2017 code, never by words: a declared code
 * covers every code it is a prefix of; a coarser code than the measure needs is its own outcome.
 */
import type { PayoutCase } from '../case.ts';
import { describeCode, matchIndustry } from '../industry/table.ts';
import { Dec, yuan } from '../money.ts';
import {
  type Comparison,
  type Condition,
  FIELD_TYPES,
  type FieldName,
  type IndustryDeclaration,
  type MeasureCondition,
  type RecognitionPattern,
} from '../schema.ts';

export const FIELD_LABELS: Record<FieldName, string> = {
  'enterprise.industry': '行业',
  'enterprise.aboveScale': '规上企业',
  'enterprise.sme': '中小企业',
  'investment.total': '投入总额',
  'investment.automation': '自动化设备投入',
  'investment.planningFee': '规划设计费用',
  'investment.robots': '工业机器人购置款',
  'investment.cloudPaid': '云服务购买支付金额',
  'investment.revenue': '服务收入',
  'investment.provincialSubsidy': '省级财政补助金额',
  levelAfter: '改造后数字化水平',
  batch: '批次',
  recognition: '认定',
};

const SYMBOLS: Record<Comparison, string> = { atLeast: '≥', moreThan: '>', atMost: '≤', lessThan: '<' };

export function normalize(text: string): string {
  return text.normalize('NFKC').replace(/[\s“”"'‘’]/g, '');
}

export function readField(c: PayoutCase, field: FieldName): unknown {
  switch (field) {
    case 'enterprise.industry':
      return c.enterprise.industry;
    case 'enterprise.aboveScale':
      return c.enterprise.aboveScale;
    case 'enterprise.sme':
      return c.enterprise.sme;
    case 'levelAfter':
      return c.levelAfter;
    case 'batch':
      return c.batch;
    case 'recognition':
      return c.recognition;
    default:
      return c.investment?.[field.slice('investment.'.length) as keyof NonNullable<PayoutCase['investment']>];
  }
}

export function formatValue(field: FieldName, value: unknown): string {
  if (value === undefined) return '(未提供)';
  const type = FIELD_TYPES[field];
  if (type === 'money') return `${yuan(new Dec(value as string))} 元`;
  if (type === 'boolean') return value ? '是' : '否';
  if (type === 'level') return `${value as number} 级`;
  if (type === 'recognition') return formatRecognition(value as RecognitionPattern);
  if (type === 'industry') return describeCode(value as string);
  return String(value);
}

function formatRecognition(r: RecognitionPattern): string {
  return `${r.tier ?? ''}${r.name}${r.first === true ? '(首次)' : r.first === false ? '(非首次)' : ''}`;
}

function matchesRecognition(pattern: RecognitionPattern, actual: RecognitionPattern): boolean {
  return (
    normalize(pattern.name) === normalize(actual.name) &&
    (pattern.tier === undefined || pattern.tier === actual.tier) &&
    (pattern.first === undefined || pattern.first === actual.first)
  );
}

function same(field: FieldName, expected: unknown, actual: unknown): boolean {
  if (FIELD_TYPES[field] === 'recognition') {
    return matchesRecognition(expected as RecognitionPattern, actual as RecognitionPattern);
  }
  if (typeof expected === 'boolean' || typeof actual === 'boolean') return expected === actual;
  return normalize(String(expected)) === normalize(String(actual));
}

function compare(field: FieldName, op: Comparison, bound: string | number, actual: unknown): boolean {
  const diff =
    FIELD_TYPES[field] === 'money'
      ? new Dec(actual as string).comparedTo(new Dec(bound as string))
      : Math.sign((actual as number) - (bound as number));
  if (op === 'atLeast') return diff >= 0;
  if (op === 'moreThan') return diff > 0;
  if (op === 'atMost') return diff <= 0;
  return diff < 0;
}

/** 'coarser': the case's industry code is a prefix of a declared one, too coarse to decide. */
export type Outcome = 'pass' | 'fail' | 'missing' | 'coarser';
type PlainOutcome = Exclude<Outcome, 'coarser'>;

export function evaluate(cond: Condition & { industries?: undefined }, c: PayoutCase): PlainOutcome;
export function evaluate(cond: MeasureCondition, c: PayoutCase): Outcome;
export function evaluate(cond: MeasureCondition, c: PayoutCase): Outcome {
  const actual = readField(c, cond.field);
  if (actual === undefined) return 'missing';
  if (cond.industries !== undefined) {
    const match = matchIndustry(actual as string, declaredCodes(cond.industries));
    return match === 'within' ? 'pass' : match === 'outside' ? 'fail' : 'coarser';
  }
  if (cond.equals !== undefined) return same(cond.field, cond.equals, actual) ? 'pass' : 'fail';
  if (cond.in !== undefined) return cond.in.some((v) => same(cond.field, v, actual)) ? 'pass' : 'fail';
  for (const op of ['atLeast', 'moreThan', 'atMost', 'lessThan'] as const) {
    const bound = cond[op];
    if (bound !== undefined) return compare(cond.field, op, bound, actual) ? 'pass' : 'fail';
  }
  throw new Error('unreachable: a condition without an operator passed validation');
}

export function declaredCodes(industries: readonly IndustryDeclaration[]): string[] {
  return industries.flatMap((i) => i.codes);
}

/** "电动(园林)工具(3465 风动和电动工具制造)", each wording with its codes and official names. */
export function describeDeclared(industries: readonly IndustryDeclaration[]): string {
  return industries.map((i) => `${i.wording}(${i.codes.map(describeCode).join('、')})`).join('、');
}

/** The reason an industry is refused: its code and name, the document's wording and codes, the article and words. */
export function industryRefusal(cond: MeasureCondition, code: string): string {
  return `行业 ${describeCode(code)} 不在 ${describeDeclared(cond.industries ?? [])} 之内 — ${cond.article}“${cond.quote}”`;
}

/** A code too coarse for the measure: the case must name the finer code, never matched silently. */
export function industryTooCoarse(measureId: string, cond: MeasureCondition, code: string): string {
  return `enterprise.industry: ${describeCode(code)} is coarser than ${measureId} needs: ${describeDeclared(cond.industries ?? [])} (${cond.article}); write the enterprise's finer code (\`shugai industry find\` lists codes and names)`;
}

/** The reading a condition rests on: its own, and for an industry why each wording is read as its codes. */
export function conditionReading(cond: MeasureCondition): string | undefined {
  const parts = [
    ...(cond.reading ? [cond.reading] : []),
    ...(cond.industries ?? []).map((i) => `${i.wording} → ${i.codes.join('、')}:${i.reading}`),
  ];
  return parts.length > 0 ? parts.join(';') : undefined;
}

/** "investment.total ≥ 300000.00", "enterprise.industry ∈ 防盗门 {3312} ∪ 保温杯 {3382, 3389}". */
export function describeCondition(cond: MeasureCondition): string {
  if (cond.industries !== undefined) {
    return `${cond.field} ∈ ${cond.industries.map((i) => `${i.wording} {${i.codes.join(', ')}}`).join(' ∪ ')}`;
  }
  const show = (v: unknown) =>
    typeof v === 'object'
      ? formatRecognition(v as RecognitionPattern)
      : formatValue(cond.field, v).replace(/ 元$/, '');
  if (cond.equals !== undefined) return `${cond.field} = ${show(cond.equals)}`;
  if (cond.in !== undefined) return `${cond.field} ∈ {${cond.in.map(show).join(', ')}}`;
  const op = (['atLeast', 'moreThan', 'atMost', 'lessThan'] as const).find((o) => cond[o] !== undefined)!;
  return `${cond.field} ${SYMBOLS[op]} ${show(cond[op])}`;
}
