// Regression cases for the MQTT decoder (testcases/<case>/input.yaml → expected.yaml), without a
// broker: the case's subscriptions and devices are a real connection config, its messages are
// decoded in order, and each message's samples and problems are compared exactly.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { caseTests, withExpectations } from '../testcases.ts';
import { MqttDecoder } from './decode.ts';
import { mqttConfigSchema } from './schema.ts';
import { caseSample, messageExpectation, problemSummary } from './testing.ts';

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testcases');
const CONNECTION = 'line-mqtt';

const caseInput = z
  .object({
    description: z.string(),
    receivedAt: z.iso.datetime({ offset: true }).transform((t) => Date.parse(t)),
    subscriptions: z.array(z.unknown()),
    devices: z.array(z.unknown()),
    messages: z.array(
      z.union([
        z.object({ topic: z.string(), payload: z.string() }).strict(),
        // Any JSON value, sent as JSON text.
        z.object({ topic: z.string(), json: z.unknown() }).strict(),
      ]),
    ),
  })
  .strict();
const caseExpected = z.array(
  messageExpectation({
    sample: {
      /** ms since the epoch; default: the receive time. */
      sourceTime: z.number().int().optional(),
    },
    problem: {
      /** detail.error, when the case pins it. */
      error: z.string().optional(),
    },
  }),
);

describe('MQTT decoder regression cases (testcases/<case>/input.yaml → expected.yaml)', () => {
  caseTests(CASES, { input: caseInput, expected: caseExpected }, 8, (input, expected) => {
    const messages = withExpectations(input.messages, expected, 'message');
    const config = mqttConfigSchema.parse({
      id: CONNECTION,
      protocol: 'mqtt',
      url: 'mqtt://127.0.0.1:1883',
      clientId: 'cases',
      subscriptions: input.subscriptions,
      devices: input.devices,
    });
    const decoder = new MqttDecoder(config);
    messages.forEach(([message, want], i) => {
      const payload = 'payload' in message ? message.payload : JSON.stringify(message.json);
      const out = decoder.decode(message.topic, Buffer.from(payload, 'utf8'), input.receivedAt);
      const where = `${input.description} (message ${i + 1}: ${message.topic} ${payload})`;
      expect(out.samples, where).toEqual(
        want.samples.map((s) =>
          caseSample(s, {
            quality: 'good',
            statusCode: 0,
            sourceTime: s.sourceTime ?? input.receivedAt,
            receivedAt: input.receivedAt,
          }),
        ),
      );
      expect(out.problems.map(problemSummary), where).toEqual(want.problems.map(({ error: _, ...p }) => p));
      expect(out.problems.map((p) => p.detail.topic)).toEqual(want.problems.map(() => message.topic));
      want.problems.forEach((p, j) => {
        if (p.error !== undefined) expect(out.problems[j]?.detail.error, where).toBe(p.error);
      });
    });
  });
});
