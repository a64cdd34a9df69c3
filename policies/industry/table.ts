/**
 * The GB/T 4754-2017 table (gbt4754-2017.tsv): every division, and every group and class of
 * manufacturing. A code is a string of 2, 3 or 4 digits; a code covers every code it is a prefix of
 * (division 38 covers group 385, which covers classes 3851–3859).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const TABLE_FILE = path.join(import.meta.dirname, 'gbt4754-2017.tsv');

export type IndustryLevel = 'division' | 'group' | 'class';
const LEVELS: Record<number, IndustryLevel> = { 2: 'division', 3: 'group', 4: 'class' };

export interface IndustryEntry {
  code: string;
  /** The official name, as the standard prints it. */
  name: string;
  level: IndustryLevel;
  /** Where only one transcription was read: the doubt, shown wherever the entry is. */
  unverified?: string;
}

const CODE = /^\d{2,4}$/;

/** Parses the TSV; a malformed line is an error naming the line (the file is data people edit). */
export function parseTable(text: string, file = TABLE_FILE): Map<string, IndustryEntry> {
  const entries = new Map<string, IndustryEntry>();
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const [code, name, note, extra] = line.split('\t');
    const where = `${file}:${i + 1}`;
    if (extra !== undefined || !code || !name) throw new Error(`${where}: expected code<TAB>name[<TAB>note]`);
    if (!CODE.test(code)) throw new Error(`${where}: ${code} is not a code of 2 to 4 digits`);
    if (entries.has(code)) throw new Error(`${where}: ${code} appears twice`);
    if (code.length > 2 && !entries.has(code.slice(0, code.length - 1))) {
      throw new Error(`${where}: ${code} comes before its ${code.length === 3 ? 'division' : 'group'}`);
    }
    const unverified = note?.startsWith('unverified:') ? note.slice('unverified:'.length).trim() : undefined;
    entries.set(code, { code, name, level: LEVELS[code.length]!, ...(unverified ? { unverified } : {}) });
  });
  return entries;
}

let table: Map<string, IndustryEntry> | undefined;
function entries(): Map<string, IndustryEntry> {
  table ??= parseTable(readFileSync(TABLE_FILE, 'utf8'));
  return table;
}

export function industryEntry(code: string): IndustryEntry | undefined {
  return entries().get(code);
}

export function allIndustries(): IndustryEntry[] {
  return [...entries().values()];
}

/** The division and group above a code (those in the table), coarsest first. */
export function ancestorsOf(code: string): IndustryEntry[] {
  return [code.slice(0, 2), code.slice(0, 3)]
    .filter((c) => c.length < code.length)
    .map((c) => entries().get(c))
    .filter((e): e is IndustryEntry => e !== undefined);
}

/** "3465 风动和电动工具制造"; an unknown code is shown as it is. */
export function describeCode(code: string): string {
  const entry = entries().get(code);
  return entry ? `${entry.code} ${entry.name}` : code;
}

/**
 * Why a text is not a code of the table, or undefined when it is. Free text gets no answer here
 * (the caller names the candidates); this covers what looks like a code.
 */
export function codeProblem(code: string): string | undefined {
  if (!CODE.test(code)) {
    if (/^\d+$/.test(code)) return `${code}: a GB/T 4754-2017 code has 2 to 4 digits`;
    const lettered = /^[A-Ta-t](\d{2,4})$/.exec(code);
    if (lettered) return `write the code without its section letter: "${lettered[1]}"`;
    return `${code} is not a GB/T 4754-2017 code (2 to 4 digits)`;
  }
  if (entries().has(code)) return undefined;
  const division = entries().get(code.slice(0, 2));
  if (division === undefined)
    return `${code} is not a code of GB/T 4754-2017: there is no division ${code.slice(0, 2)}`;
  const manufacturing = Number(code.slice(0, 2)) >= 13 && Number(code.slice(0, 2)) <= 43;
  if (!manufacturing) {
    return `${code} is outside this table: it holds the groups and classes of manufacturing (13–43) only; write the division, "${division.code}" ${division.name}`;
  }
  const group = entries().get(code.slice(0, 3));
  const siblings = allIndustries()
    .filter((e) => e.code.length === code.length && e.code.startsWith((group ?? division).code))
    .map((e) => e.code);
  return `${code} is not a code of GB/T 4754-2017: ${(group ?? division).code} ${(group ?? division).name} has ${siblings.join(', ')}`;
}

/**
 * A code against the codes a measure declares: within one of them (a declared code is a prefix of
 * it), coarser than one of them (it is a proper prefix of a declared code: the measure needs the
 * finer code to decide), or outside.
 */
export type IndustryMatch = 'within' | 'coarser' | 'outside';

export function matchIndustry(code: string, declared: readonly string[]): IndustryMatch {
  if (declared.some((d) => code.startsWith(d))) return 'within';
  if (declared.some((d) => d.length > code.length && d.startsWith(code))) return 'coarser';
  return 'outside';
}
