/**
 * Industries by GB/T 4754-2017 code: the API the bureau's platform uses to store an enterprise's
 * industry. Free text becomes candidates a person confirms; a code has an official name and
 * ancestors; a code is checked against a measure's declared codes. Errors are PolicyErrors with
 * stable codes (SHUGAI_INDUSTRY_INVALID, SHUGAI_MEASURE_UNKNOWN), input errors all.
 */
import { industryCondition, PolicyBook } from '../engine/book.ts';
import { declaredCodes, industryRefusal, industryTooCoarse } from '../engine/conditions.ts';
import { documentName } from '../engine/params.ts';
import { PolicyError } from '../errors.ts';
import { findIndustries as find, type IndustryCandidate } from './find.ts';
import { ancestorsOf, codeProblem, type IndustryEntry, industryEntry, matchIndustry } from './table.ts';

export type { IndustryCandidate, Wording } from './find.ts';
export type { IndustryEntry, IndustryLevel } from './table.ts';
/** "3465 风动和电动工具制造", for display. */
export { describeCode } from './table.ts';

let defaultBook: PolicyBook | undefined;
/** The given book, else the documents in policies/documents, loaded once. */
function bookOr(book?: PolicyBook): PolicyBook {
  if (book) return book;
  defaultBook ??= PolicyBook.load();
  return defaultBook;
}

/**
 * Candidate codes for what a person typed (电动工具, 园林工具, 保温杯, a code): the documents' wordings,
 * common names and official names, best first. Show them back for confirmation; never store words.
 */
export function findIndustries(text: string, book?: PolicyBook): IndustryCandidate[] {
  return find(text, bookOr(book).wordings);
}

export interface IndustryDescription extends IndustryEntry {
  /** Division and group above the code, coarsest first. */
  ancestors: IndustryEntry[];
}

/** A code's official name, level and ancestors; a code not in the table is SHUGAI_INDUSTRY_INVALID with the reason. */
export function describeIndustry(code: string): IndustryDescription {
  const entry = industryEntry(code);
  if (!entry) throw new PolicyError('SHUGAI_INDUSTRY_INVALID', codeProblem(code) ?? `${code}: not found`);
  return { ...entry, ancestors: ancestorsOf(code) };
}

export interface IndustryCheck {
  measure: string;
  code: string;
  name: string;
  /** within: eligible on industry; outside: refused; coarser: the finer code is needed; any: the measure names no industry. */
  outcome: 'within' | 'outside' | 'coarser' | 'any';
  /** The measure's industries as the document words them, with codes, names and the reading. */
  declared: { wording: string; codes: { code: string; name: string }[]; reading: string }[];
  /** Where the document limits the industry: its number, article and words; null for outcome any. */
  citation: { document: string; article: string; quote: string } | null;
  /** The refusal or request as the 计算说明 words it; null when within or any. */
  message: string | null;
}

/** A code against a measure's industries (the measure's latest version); only the industry, no other condition. */
export function checkIndustry(code: string, measureId: string, book?: PolicyBook): IndustryCheck {
  const { name } = describeIndustry(code);
  const { doc, measure } = bookOr(book).versionsOf(measureId).at(-1)!;
  const cond = industryCondition(measure);
  const base = { measure: measureId, code, name };
  if (!cond?.industries) return { ...base, outcome: 'any', declared: [], citation: null, message: null };
  const outcome = matchIndustry(code, declaredCodes(cond.industries));
  return {
    ...base,
    outcome,
    declared: cond.industries.map((i) => ({
      wording: i.wording,
      codes: i.codes.map((c) => ({ code: c, name: industryEntry(c)!.name })),
      reading: i.reading,
    })),
    citation: { document: documentName(doc), article: cond.article, quote: cond.quote },
    message:
      outcome === 'outside'
        ? industryRefusal(cond, code)
        : outcome === 'coarser'
          ? industryTooCoarse(measureId, cond, code)
          : null,
  };
}
