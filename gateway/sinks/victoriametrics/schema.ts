import { z } from 'zod';
import { gzipSetting, sinkNameSchema, sinkUrl } from '../schema.ts';

export const victoriaSinkSchema = z
  .object({
    name: sinkNameSchema,
    type: z.literal('victoriametrics'),
    url: sinkUrl('http://127.0.0.1:8428').describe(
      'Single node: http://host:8428; cluster: the tenant on vminsert, http://vminsert:8480/insert/<tenant>/prometheus',
    ),
    measurement: z.string().min(1).default('samples').describe('Metric names are <measurement>_<field>'),
    gzip: gzipSetting,
    timeoutMs: z.number().int().positive().default(10_000).describe('Per-request timeout'),
    username: z.string().optional().describe('Basic auth (vmauth in front of the store)'),
    password: z.string().optional().describe('Use ${ENV} or ${file:…}; never logged'),
  })
  .strict();
export type VictoriaSinkConfig = z.infer<typeof victoriaSinkSchema>;
