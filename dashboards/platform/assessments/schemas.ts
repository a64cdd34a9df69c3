/** Assessment records on the wire. */
import { z } from 'zod';

/** One version of an assessment, in a list. */
export const recordSummary = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  stage: z.string(),
  recordedAt: z.string(),
  level: z.number().int().nullable(),
  officialLevel: z.number().int().nullable(),
});
export type RecordSummary = z.infer<typeof recordSummary>;
