import { z } from 'zod';
import { gzipSetting, sinkNameSchema, sinkUrl } from '../schema.ts';

const common = {
  name: sinkNameSchema,
  type: z.literal('influxdb'),
  url: sinkUrl('http://127.0.0.1:8086').describe('Base URL, e.g. http://127.0.0.1:8086'),
  measurement: z.string().min(1).default('samples').describe('Measurement the samples are written to'),
  gzip: gzipSetting,
  timeoutMs: z.number().int().positive().default(10_000).describe('Per-request timeout'),
};

export const influxV1Schema = z
  .object({
    ...common,
    version: z.literal(1).describe('InfluxDB 1.x or VictoriaMetrics: POST /write'),
    database: z.string().min(1).describe('Database to write to'),
    retentionPolicy: z.string().optional().describe('Retention policy; the database default when absent'),
    username: z.string().optional(),
    password: z.string().optional().describe('Use ${ENV} or ${file:…}; never logged'),
    createDatabase: z.boolean().default(true).describe('Send CREATE DATABASE on start (needs the right to)'),
  })
  .strict();

export const influxV2Schema = z
  .object({
    ...common,
    version: z.literal(2).describe('InfluxDB 2.x/3.x: POST /api/v2/write with a token'),
    org: z.string().min(1),
    bucket: z.string().min(1),
    token: z.string().min(1).describe('API token; use ${ENV} or ${file:…}; never logged'),
  })
  .strict();

export const influxSinkSchema = z.discriminatedUnion('version', [influxV1Schema, influxV2Schema]);
export type InfluxSinkConfig = z.infer<typeof influxSinkSchema>;
