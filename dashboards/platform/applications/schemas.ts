/** Applications, verifications and decisions on the wire (zod: validation, serialisation, OpenAPI). */
import { z } from 'zod';
import { moneyString, TIERS } from '../../../policies/schema.ts';

const assessmentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

export const applicationInput = z.strictObject({
  /** A measure id of policies/ (`shugai policy list`). */
  measure: z.string().min(1).max(100),
  /** The validated assessments before and after the renovation (ids in the enterprise's file). */
  assessmentBefore: assessmentId,
  assessmentAfter: assessmentId,
  /** 规上 (above the statistical size threshold): a fact the file does not hold, declared. */
  aboveScale: z.boolean().optional(),
  /** The recognition applied for, where the measure pays for one. */
  recognition: z
    .strictObject({
      name: z.string().min(1).max(100),
      tier: z.enum(TIERS).optional(),
      first: z.boolean().optional(),
    })
    .optional(),
});
export type ApplicationInput = z.infer<typeof applicationInput>;

export const APPLICATION_STATES = [
  'submitted',
  'first-approved',
  'approved',
  'rejected',
  'returned',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const DECISION_STEPS = ['first', 'second'] as const;
export const OUTCOMES = ['approve', 'reject', 'return'] as const;

export const decisionView = z.strictObject({
  /** first = 初审, second = 复审. */
  step: z.enum(DECISION_STEPS),
  outcome: z.enum(OUTCOMES),
  reason: z.string(),
  officer: z.string(),
  verification: z.string(),
  at: z.number().int(),
});
export type DecisionView = z.infer<typeof decisionView>;

export const applicationView = z.strictObject({
  id: z.string(),
  enterpriseId: z.string(),
  enterpriseName: z.string(),
  measure: z.string(),
  assessmentBefore: z.string(),
  assessmentAfter: z.string(),
  aboveScale: z.boolean().nullable(),
  recognition: applicationInput.shape.recognition.unwrap().nullable(),
  batch: z.number().int().nullable(),
  state: z.enum(APPLICATION_STATES),
  submittedBy: z.string(),
  submittedAt: z.number().int(),
  updatedAt: z.number().int(),
  /** The latest verification, summarised; null until an officer computes one. */
  verification: z
    .strictObject({
      id: z.string(),
      at: z.number().int(),
      clean: z.boolean(),
      eligible: z.boolean(),
      amount: moneyString,
    })
    .nullable(),
  decisions: decisionView.array(),
});
export type ApplicationView = z.infer<typeof applicationView>;

export const decisionInput = z.strictObject({
  outcome: z.enum(OUTCOMES),
  /** Why: kept with the decision and shown to the applicant. */
  reason: z.string().max(2000).regex(/\S/, 'a reason, not only blanks'),
});
export type DecisionInput = z.infer<typeof decisionInput>;

export const applicationQuery = z.strictObject({
  state: z.enum(APPLICATION_STATES).optional(),
  batch: z
    .string()
    .regex(/^[1-9]\d?$/)
    .optional(),
});
