/** Test helpers for the push collectors (MQTT, Sparkplug B): a context that records everything. */
import pino from 'pino';
import type { Sample } from '../../core/model.ts';
import type { CollectorContext } from '../collector.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';

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
