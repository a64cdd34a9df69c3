/**
 * Free text to candidate codes: a code as written, the documents' own wordings, the aliases
 * (aliases.yaml) and the official names. Only candidates: a person confirms one code; the engine
 * never matches words.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  allIndustries,
  ancestorsOf,
  codeProblem,
  describeCode,
  type IndustryEntry,
  industryEntry,
} from './table.ts';

export const ALIASES_FILE = path.join(import.meta.dirname, 'aliases.yaml');

/** A document's wording for an industry and the codes it is read as (see the document's reading). */
export interface Wording {
  wording: string;
  codes: readonly string[];
  /** "永政办发〔2023〕40号 二(三)". */
  source: string;
}

export interface IndustryCandidate extends IndustryEntry {
  ancestors: IndustryEntry[];
  /** How the text led here: "code", "名称", "别名 保温杯", "文件用语 电动(园林)工具(永政办发〔2023〕40号 二(三))". */
  via: string[];
}

const aliasesSchema = z.strictObject({
  aliases: z.array(
    z.strictObject({
      name: z.string().min(1),
      codes: z.array(z.string().regex(/^\d{2,4}$/, { message: "quote each code: '3465'" })).min(1),
      note: z.string().min(1).optional(),
    }),
  ),
});
export type Alias = z.infer<typeof aliasesSchema>['aliases'][number];

/** Loads aliases.yaml: every code must be in the table, every name once. */
export function parseAliases(text: string, file = ALIASES_FILE): Alias[] {
  const parsed = aliasesSchema.safeParse(parse(text, { uniqueKeys: true }));
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const seen = new Set<string>();
  for (const a of parsed.data.aliases) {
    if (seen.has(a.name)) throw new Error(`${file}: alias ${a.name} appears twice`);
    seen.add(a.name);
    for (const code of a.codes) {
      if (!industryEntry(code)) throw new Error(`${file}: alias ${a.name}: ${codeProblem(code)}`);
    }
  }
  return parsed.data.aliases;
}

let aliases: Alias[] | undefined;
export function loadAliases(): Alias[] {
  aliases ??= parseAliases(readFileSync(ALIASES_FILE, 'utf8'));
  return aliases;
}

/** For comparing words: NFKC, without spaces, brackets, quotation marks and list punctuation. */
export function searchForm(text: string): string {
  return text.normalize('NFKC').replace(/[\s()（）“”"'‘’、,，.。·/\\-]/g, '');
}

/**
 * Best first: 0 the code or an official name as written; 1 a document's wording (what the measures
 * declare); 2 an alias; 3 a wording or alias that contains the text or is contained in it; 4 an
 * official name that contains it.
 */
type Rank = 0 | 1 | 2 | 3 | 4;

/** `exact` when the text is the term, 3 when one contains the other (two characters at least). */
function related(text: string, term: string, exact: Rank): Rank | undefined {
  if (term === text) return exact;
  if (text.length >= 2 && (term.includes(text) || text.includes(term))) return 3;
  return undefined;
}

/** Candidate codes for a text, best first (then by code). An empty list when nothing matches. */
export function findIndustries(text: string, wordings: readonly Wording[] = []): IndustryCandidate[] {
  const found = new Map<string, { rank: Rank; via: string[] }>();
  const add = (code: string, rank: Rank, via: string) => {
    const prior = found.get(code);
    if (!prior) found.set(code, { rank, via: [via] });
    else {
      prior.rank = Math.min(prior.rank, rank) as Rank;
      if (!prior.via.includes(via)) prior.via.push(via);
    }
  };
  const asCode = text
    .normalize('NFKC')
    .trim()
    .replace(/^[A-Ta-t](?=\d)/, '');
  if (industryEntry(asCode)) add(asCode, 0, 'code');
  const wanted = searchForm(text);
  if (wanted !== '') {
    for (const w of wordings) {
      const rank = related(wanted, searchForm(w.wording), 1);
      if (rank !== undefined)
        for (const code of w.codes) add(code, rank, `文件用语 ${w.wording}(${w.source})`);
    }
    for (const a of loadAliases()) {
      const rank = related(wanted, searchForm(a.name), 2);
      if (rank !== undefined) for (const code of a.codes) add(code, rank, `别名 ${a.name}`);
    }
    for (const e of allIndustries()) {
      const name = searchForm(e.name);
      if (name === wanted) add(e.code, 0, '名称');
      else if (wanted.length >= 2 && name.includes(wanted)) add(e.code, 4, '名称');
    }
  }
  return [...found.entries()]
    .sort(([a, x], [b, y]) => x.rank - y.rank || a.localeCompare(b))
    .map(([code, { via }]) => ({ ...industryEntry(code)!, ancestors: ancestorsOf(code), via }));
}

/** "3323 农用及园林用金属工具制造, 3465 风动和电动工具制造 or 3572 机械化农业及园艺机具制造". */
export function listCandidates(candidates: readonly IndustryCandidate[], max = 5): string {
  const shown = candidates.slice(0, max).map((c) => describeCode(c.code));
  const more = candidates.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : (shown[0] ?? '');
}
