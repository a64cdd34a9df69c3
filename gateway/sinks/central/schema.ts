import { z } from 'zod';
import { sinkNameSchema, sinkUrl } from '../schema.ts';

/** Most items in one POST /api/v1/attestations; the sink sends at most this many per request. */
export const CENTRAL_MAX_ITEMS = 5000;
/** Largest request body the central service reads; the sink keeps its requests under half of it. */
export const CENTRAL_MAX_BODY_BYTES = 8 * 1024 * 1024;

export const centralSinkSchema = z
  .object({
    name: sinkNameSchema.default('central'),
    type: z.literal('central'),
    url: sinkUrl('https://central.bureau.example:8787', /^https?$/).describe(
      "Base URL of the bureau's central service, e.g. https://central.bureau.example:8787; only the attestations are sent",
    ),
    timeoutMs: z.number().int().positive().default(10_000).describe('Per-request timeout'),
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM file with the private CA certificate(s) the service certificate must chain to (relative to the config file); default: system CAs. TLS checks are never disabled',
      ),
  })
  .strict()
  .refine((sink) => sink.ca === undefined || sink.url.startsWith('https:'), {
    message: 'ca is only used with an https:// url',
    path: ['ca'],
  });
export type CentralSinkConfig = z.infer<typeof centralSinkSchema>;
