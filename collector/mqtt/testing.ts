/**
 * Test helpers for the push collectors (MQTT, Sparkplug B): a context that records everything, the
 * README's config block, and what their regression cases (testcases/<case>/, read with
 * ../testcases.ts) share: an expected sample by device, tag and value, a problem by who, what, why.
 */
import pino from 'pino';
import { z } from 'zod';
import type { Sample } from '../../core/model.ts';
import type { CollectorContext } from '../collector.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';
import type { Problem } from './problems.ts';
import { type MqttConfig, mqttConfigSchema } from './schema.ts';

export interface RecordingContext {
  context: CollectorContext;
  samples: Sample[];
  /** Every log line as parsed JSON. */
  logs: Record<string, unknown>[];
  metrics: CollectorMetrics;
  /** The errors counter for a device and kind. */
  errors(device: string, kind: string): Promise<number>;
  /** Resolves once `predicate` holds for the recorded samples; rejects after timeoutMs. */
  waitFor(predicate: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<void>;
}

export function recordingContext(): RecordingContext {
  const samples: Sample[] = [];
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const metrics = new CollectorMetrics();
  return {
    samples,
    logs,
    metrics,
    context: {
      log,
      conditions: new ConditionLog(log),
      metrics,
      onSamples: (batch) => samples.push(...batch),
      now: () => Date.now(),
      baseDir: process.cwd(),
    },
    errors: (device, kind) => metrics.count(metrics.errors, { device, kind }),
    waitFor: (predicate, timeoutMs = 5000) => waitUntil(() => predicate(samples), timeoutMs),
  };
}

/**
 * The connection of the broker tests: device press-01 with one integer tag, `count`, published as
 * plain text on factory/press-01/count and read at QoS 1 in a persistent session under `clientId`.
 */
export function countConfig(url: string, clientId: string): MqttConfig {
  return mqttConfigSchema.parse({
    id: 'line1',
    protocol: 'mqtt',
    url,
    clientId,
    reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    subscriptions: [{ topic: 'factory/{device}/{tag}', format: 'plain', qos: 1 }],
    devices: [
      {
        id: 'press-01',
        production: true,
        businessLinks: ['生产管控'],
        tags: [{ id: 'count', type: 'integer' }],
      },
    ],
  });
}

/** Polls `check` every 20 ms until it holds; rejects after timeoutMs. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The YAML block that follows the `<!-- sample.yaml -->` marker in a README (the config reference). */
export function sampleBlock(readme: string): string {
  const marker = readme.indexOf('<!-- sample.yaml -->');
  if (marker < 0) throw new Error('README has no <!-- sample.yaml --> marker');
  const start = readme.indexOf('```yaml\n', marker);
  const end = readme.indexOf('\n```', start);
  if (start < 0 || end < 0) throw new Error('README has no yaml block after the sample.yaml marker');
  return readme.slice(start + '```yaml\n'.length, end + 1);
}

type NoFields = Record<never, never>;

/**
 * What a push collector's case expects of one message: samples (device, tag, value and the
 * collector's `sample` fields) and problems (device, tag, kind, reason and its `problem` fields),
 * each none unless listed, and the collector's own `message` fields. Unknown fields are refused.
 */
export function messageExpectation<
  S extends z.ZodRawShape = NoFields,
  P extends z.ZodRawShape = NoFields,
  M extends z.ZodRawShape = NoFields,
>(fields: { sample?: S; problem?: P; message?: M }) {
  const sample = z.object({
    device: z.string(),
    tag: z.string(),
    value: z.union([z.number(), z.string(), z.boolean()]),
    ...(fields.sample as S),
  });
  const problem = z.object({
    device: z.string(),
    tag: z.string().optional(),
    kind: z.string(),
    reason: z.string(),
    ...(fields.problem as P),
  });
  return z
    .object({
      samples: z.array(sample.strict()).default([]),
      problems: z.array(problem.strict()).default([]),
      ...(fields.message as M),
    })
    .strict();
}

/** The sample a case expects: its device, tag and value, with what the collector sets around them. */
export function caseSample(
  want: Pick<Sample, 'device' | 'tag' | 'value'>,
  around: Omit<Sample, 'device' | 'tag' | 'value'>,
): Sample {
  return { device: want.device, tag: want.tag, value: want.value, ...around };
}

/** A problem as the regression cases state it: who, what and why (detail is checked separately). */
export function problemSummary(problem: Problem): Pick<Problem, 'device' | 'tag' | 'kind' | 'reason'> {
  const { device, tag, kind, reason } = problem;
  return { device, ...(tag === undefined ? {} : { tag }), kind, reason };
}
