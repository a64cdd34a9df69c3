/**
 * The case file: one application as a bureau submits it. Strict: an unknown field is an error, money
 * is a decimal string (a JSON number would already have passed through a float).
 */
import { z } from 'zod';
import { formatPath } from '../gateway/config/errors.ts';
import { PolicyError } from './errors.ts';
import { findIndustries, listCandidates, type Wording } from './industry/find.ts';
import { codeProblem } from './industry/table.ts';
import { dateString, moneyString, TIERS } from './schema.ts';

export const caseSchema = z.strictObject({
  /** Date of the application: decides which document version applies and whether it is in force. */
  asOf: dateString,
  enterprise: z.strictObject({
    name: z.string().min(1),
    region: z.string().min(1),
    /** A GB/T 4754-2017 code as a string ("3465"): never words, never a number (0610 would lose its 0). */
    industry: z
      .string({ error: 'write the GB/T 4754-2017 code as a string, e.g. "3465"; a number is refused' })
      .min(1)
      .optional(),
    aboveScale: z.boolean().optional(),
    sme: z.boolean().optional(),
  }),
  investment: z
    .strictObject({
      total: moneyString.optional(),
      automation: moneyString.optional(),
      planningFee: moneyString.optional(),
      robots: moneyString.optional(),
      cloudPaid: moneyString.optional(),
      revenue: moneyString.optional(),
      provincialSubsidy: moneyString.optional(),
    })
    .optional(),
  levelAfter: z.number().int().min(0).max(4).optional(),
  batch: z.union([z.number().int().min(1), z.string().min(1)]).optional(),
  recognition: z
    .strictObject({ name: z.string().min(1), tier: z.enum(TIERS).optional(), first: z.boolean().optional() })
    .optional(),
  priorPayouts: z
    .array(z.strictObject({ measure: z.string().min(1), amount: moneyString, date: dateString }))
    .optional(),
});
export type PayoutCase = z.infer<typeof caseSchema>;

/**
 * Why a case's industry is not a code of the table, or undefined. Words get the candidate codes
 * back (from the documents' wordings, the aliases and the official names) for a person to choose.
 */
export function industryProblem(industry: string, wordings: readonly Wording[] = []): string | undefined {
  if (/^[A-Ta-t]?\d+$/.test(industry)) return codeProblem(industry);
  const candidates = findIndustries(industry, wordings);
  const hint = `\`shugai industry find ${industry}\` lists candidates with their divisions`;
  return candidates.length > 0
    ? `write a GB/T 4754-2017 code; ${industry} may be ${listCandidates(candidates)} (${hint})`
    : `write a GB/T 4754-2017 code; no code or name matches ${industry} (\`shugai industry find\` searches codes, names and common names)`;
}

/** Validates a parsed case; every problem is named by its path. `wordings`: the documents' industry words, for hints. */
export function parseCase(input: unknown, wordings: readonly Wording[] = []): PayoutCase {
  const parsed = caseSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path) || '(case)'}: ${i.message}`);
    throw new PolicyError('SHUGAI_CASE_INVALID', `case invalid:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.enterprise.industry !== undefined) {
    // Full-width digits from a Chinese input method are the same code.
    c.enterprise.industry = c.enterprise.industry.normalize('NFKC').trim();
    const problem = industryProblem(c.enterprise.industry, wordings);
    if (problem)
      throw new PolicyError('SHUGAI_CASE_INVALID', `case invalid:\nenterprise.industry: ${problem}`);
  }
  (c.priorPayouts ?? []).forEach((p, i) => {
    if (p.date > c.asOf) {
      throw new PolicyError(
        'SHUGAI_CASE_INVALID',
        `case invalid:\npriorPayouts[${i}].date: ${p.date} is after asOf ${c.asOf}; a payout cannot precede itself`,
      );
    }
  });
  return c;
}
