/** A verification on the wire. The nested reports keep the shapes of the engines that made them. */
import { z } from 'zod';
import { moneyString } from '../../../policies/schema.ts';

const any = z.unknown();
const error = z.strictObject({ code: z.string(), message: z.string() });

const side = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  validatedBy: z.string(),
  validatedAt: z.string(),
  score: z.string(),
  level: z.number().int().nullable(),
});

export const verification = z.strictObject({
  id: z.string(),
  applicationId: z.string(),
  at: z.number().int(),
  by: z.string(),
  /** The validated levels before and after, compared within one edition; `error` when they cannot be. */
  levels: z.union([
    z.strictObject({
      edition: z.string(),
      before: side,
      after: side,
      level: z.strictObject({
        before: z.number().int().nullable(),
        after: z.number().int().nullable(),
        change: z.number().int(),
      }),
      score: z.strictObject({ before: z.string(), after: z.string(), delta: z.string() }),
    }),
    z.strictObject({ error: z.string() }),
  ]),
  /** `shugai verify` per gateway over the renovation's window, against the service's own attestation copy. */
  integrity: z.strictObject({
    window: z.strictObject({ from: z.string(), to: z.string() }),
    clean: z.boolean(),
    error: z.string().optional(),
    gateways: z.array(
      z.union([
        z.strictObject({
          gateway: z.string(),
          store: z.string().nullable(),
          clean: z.literal(false),
          error: z.string(),
        }),
        z.looseObject({
          gateway: z.string(),
          store: z.string(),
          clean: z.boolean(),
          findingCounts: z.record(z.string(), z.number()),
        }),
      ]),
    ),
  }),
  /** The machine evidence per gateway: rates against the register, links collected, contradictions with the answers. */
  evidence: z.array(
    z.union([
      z.strictObject({ gateway: z.string(), unavailable: z.string() }),
      z.strictObject({
        gateway: z.string(),
        denominator: any,
        networking: any,
        digitization: any,
        links: any,
        contradictions: z.array(any),
      }),
    ]),
  ),
  /** The payout engine's result on the case built from the file, with its 计算说明; or why it could not compute. */
  payout: z.union([
    z.strictObject({
      case: z.record(z.string(), any),
      params: z.record(z.string(), z.string()),
      measure: z.string(),
      eligible: z.boolean(),
      amount: moneyString,
      reasons: z.array(any),
      split: z.record(z.string(), moneyString).nullable(),
      explanation: z.string(),
      trace: any,
    }),
    z.strictObject({
      case: z.record(z.string(), any).nullable(),
      params: z.record(z.string(), z.string()).optional(),
      error,
    }),
  ]),
});
export type Verification = z.infer<typeof verification>;

export const verifyInput = z.strictObject({
  /** Parameters the measure's document leaves open, decided by the bureau (`--param` of `shugai payout`). */
  params: z.record(z.string().min(1).max(100), z.string().min(1).max(100)).optional(),
});
