/**
 * Test helpers for the push collectors (MQTT, Sparkplug B): a context that records everything; and
 * the regression-case tables (testcases/<case>/) that the OPC UA tests read as well.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import type { z } from 'zod';
import type { Sample } from '../../core/model.ts';
import type { CollectorContext } from '../collector.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';
import type { Problem } from './problems.ts';

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

/**
 * The regression cases in `dir`: one folder per case with input.yaml and expected.yaml, parsed by
 * the given schemas when a case is loaded (so a malformed case fails its own test, not the file).
 */
export function regressionCases<I extends z.ZodType, E extends z.ZodType>(
  dir: string,
  input: I,
  expected: E,
): { name: string; load(): { input: z.output<I>; expected: z.output<E> } }[] {
  const read = (name: string, file: string) => parse(readFileSync(path.join(dir, name, file), 'utf8'));
  return readdirSync(dir)
    .sort()
    .map((name) => ({
      name,
      load: () => ({
        input: input.parse(read(name, 'input.yaml')),
        expected: expected.parse(read(name, 'expected.yaml')),
      }),
    }));
}

/** A problem as the regression cases state it: who, what and why (detail is checked separately). */
export function problemSummary(problem: Problem): Pick<Problem, 'device' | 'tag' | 'kind' | 'reason'> {
  const { device, tag, kind, reason } = problem;
  return { device, ...(tag === undefined ? {} : { tag }), kind, reason };
}
