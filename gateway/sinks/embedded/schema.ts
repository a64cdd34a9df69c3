import { z } from 'zod';

export const embeddedSinkSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('embedded')
      .describe('Sink name; also its reader name in the buffer'),
    type: z.literal('embedded'),
    file: z.string().default('samples.db').describe('SQLite file, relative to gateway.dataDir'),
  })
  .strict();
export type EmbeddedSinkConfig = z.infer<typeof embeddedSinkSchema>;
