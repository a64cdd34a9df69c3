import { z } from 'zod';
import { sinkNameSchema } from '../schema.ts';

export const embeddedSinkSchema = z
  .object({
    name: sinkNameSchema.default('embedded'),
    type: z.literal('embedded'),
    file: z.string().default('samples.db').describe('SQLite file, relative to gateway.dataDir'),
  })
  .strict();
export type EmbeddedSinkConfig = z.infer<typeof embeddedSinkSchema>;
