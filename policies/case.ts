/**
 * The case file: one application as a bureau submits it. Strict: an unknown field is an error, money
 * is a decimal string (a JSON number would already have passed through a float).
 */
import { z } from 'zod';
import { formatPath } from '../gateway/config/errors.ts';
import { PolicyError } from './errors.ts';
import { dateString, moneyString, TIERS } from './schema.ts';

export const caseSchema = z.strictObject({
  /** Date of the application: decides which document version applies and whether it is in force. */
  asOf: dateString,
  enterprise: z.strictObject({
    name: z.string().min(1),
    region: z.string().min(1),
    industry: z.string().min(1).optional(),
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

/** Validates a parsed case; every problem is named by its path. */
export function parseCase(input: unknown): PayoutCase {
  const parsed = caseSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path) || '(case)'}: ${i.message}`);
    throw new PolicyError('SHUGAI_CASE_INVALID', `case invalid:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
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
