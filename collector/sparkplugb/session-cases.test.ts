// Regression cases for the Sparkplug B host session (testcases/<case>/input.yaml → expected.yaml),
// without a broker: each message's payload, described in YAML, is encoded and decoded with codec.ts
// (as on the wire), then handled by the pure session; samples, problems, rebirth requests and
// online changes are compared per message. Times are ms offsets from START.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { caseSample, messageExpectation, problemSummary } from '../mqtt/testing.ts';
import { caseTests, withExpectations } from '../testcases.ts';
import { DataType, decodePayload, encodePayload, type Metric, type Payload } from './codec.ts';
import { sparkplugbConfigSchema } from './schema.ts';
import { HostSession, STATUS_NO_COMMUNICATION } from './session.ts';
import { parseTopic } from './topic.ts';

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testcases');
const START = Date.parse('2024-05-01T00:00:00Z');

/** The plant every case runs against: node Line1 (its own metric) and device Press1 under it. */
const PLANT = {
  id: 'spb-host',
  protocol: 'sparkplugb',
  url: 'mqtt://127.0.0.1:1883',
  clientId: 'cases',
  groups: ['Plant1'],
  devices: [
    { id: 'Line1', production: true, businessLinks: ['生产管控'], tags: [{ id: 'Speed', type: 'integer' }] },
    {
      id: 'Line1.Press1',
      production: true,
      businessLinks: ['生产管控'],
      tags: [
        { id: 'temp', type: 'number', metric: 'Temp/PV' },
        { id: 'Strokes', type: 'integer' },
      ],
    },
  ],
};

const metricSchema = z
  .object({
    name: z.string().optional(),
    alias: z.number().int().optional(),
    datatype: z.enum(Object.keys(DataType) as [keyof typeof DataType]).optional(),
    value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
    timestamp: z.number().int().optional(),
    historical: z.boolean().optional(),
    transient: z.boolean().optional(),
  })
  .strict();
const caseInput = z
  .object({
    description: z.string(),
    rebirthMinIntervalMs: z.number().int().min(0),
    messages: z.array(
      z
        .object({
          /** Receive time; default: 1 s after the previous message (the first at 0). */
          at: z.number().int().optional(),
          topic: z.string(),
          payload: z
            .object({
              timestamp: z.number().int().optional(),
              seq: z.number().int().optional(),
              metrics: z.array(metricSchema),
            })
            .strict()
            .optional(),
          /** Raw bytes in hex instead of a payload (for undecodable messages). */
          bytes: z.string().optional(),
        })
        .strict()
        .refine((m) => (m.payload === undefined) !== (m.bytes === undefined), 'give payload or bytes'),
    ),
  })
  .strict();
const caseExpected = z.array(
  messageExpectation({
    sample: {
      quality: z.enum(['good', 'bad']).default('good'),
      /** Offset from START; default: the message's receive time. */
      sourceTime: z.number().int().optional(),
    },
    message: {
      rebirth: z.object({ group: z.string(), node: z.string(), device: z.string() }).strict().optional(),
      online: z.array(z.object({ device: z.string(), online: z.boolean() }).strict()).default([]),
    },
  }),
);

function toPayload(input: NonNullable<z.infer<typeof caseInput>['messages'][number]['payload']>): Payload {
  const metrics = input.metrics.map((m): Metric => {
    const metric: Metric = { value: m.value };
    if (m.name !== undefined) metric.name = m.name;
    if (m.alias !== undefined) metric.alias = m.alias;
    if (m.datatype !== undefined) metric.datatype = DataType[m.datatype];
    if (m.timestamp !== undefined) metric.timestamp = START + m.timestamp;
    if (m.historical) metric.isHistorical = true;
    if (m.transient) metric.isTransient = true;
    return metric;
  });
  return {
    metrics,
    ...(input.seq === undefined ? {} : { seq: input.seq }),
    ...(input.timestamp === undefined ? {} : { timestamp: START + input.timestamp }),
  };
}

/** The payload as the session gets it: encoded and decoded again, or the decoder's error. */
function overTheWire(bytes: Uint8Array): Payload | Error {
  try {
    return decodePayload(bytes);
  } catch (error) {
    return error as Error;
  }
}

describe('Sparkplug B session regression cases (testcases/<case>/input.yaml → expected.yaml)', () => {
  caseTests(CASES, { input: caseInput, expected: caseExpected }, 5, (input, expected) => {
    const messages = withExpectations(input.messages, expected, 'message');
    const session = new HostSession(
      sparkplugbConfigSchema.parse({ ...PLANT, rebirthMinIntervalMs: input.rebirthMinIntervalMs }),
    );
    let at = -1000;
    messages.forEach(([message, want], i) => {
      at = message.at ?? at + 1000;
      const now = START + at;
      const where = `${input.description} (message ${i + 1}: ${message.topic})`;
      const topic = parseTopic(message.topic);
      if (topic?.kind !== 'edge') throw new Error(`${where}: not an edge topic`);
      const bytes = message.payload
        ? encodePayload(toPayload(message.payload))
        : Buffer.from(message.bytes as string, 'hex');
      const out = session.handle(topic, overTheWire(bytes), now);
      expect(out.samples, where).toEqual(
        want.samples.map((s) =>
          caseSample(s, {
            quality: s.quality,
            statusCode: s.quality === 'good' ? 0 : STATUS_NO_COMMUNICATION,
            sourceTime: START + (s.sourceTime ?? at),
            receivedAt: now,
          }),
        ),
      );
      expect(out.problems.map(problemSummary), where).toEqual(want.problems);
      expect(out.rebirth, where).toEqual(want.rebirth);
      expect(out.online, where).toEqual(want.online);
    });
  });
});
