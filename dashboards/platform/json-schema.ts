/**
 * Route schemas are written once in zod: `json()` turns one into the JSON schema Fastify validates and
 * serialises with and OpenAPI documents, and `z.infer` types the handler, so the three cannot drift.
 */
import { z } from 'zod';

export function json(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' });
  return rest;
}

export const errorBody = z.strictObject({ error: z.string(), code: z.string() });
/** The error answers every route may give. */
export const ERRORS = { '4xx': json(errorBody), '5xx': json(errorBody) } as const;
export const idParams = z.strictObject({ id: z.string().min(1).max(64) });
export const ok = z.strictObject({ ok: z.literal(true) });
