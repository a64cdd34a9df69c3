/**
 * Counting and logging of bad messages for the push collectors (MQTT, Sparkplug B): every problem
 * is counted in metrics.errors by device and kind, and logged once per condition (device, tag,
 * kind/reason) until a good value clears it.
 */
import type { CollectorContext } from '../collector.ts';

/** Why a message (or part of it) gave no sample; `device` is the connection id when no device is known. */
export interface Problem {
  device: string;
  tag?: string;
  /** The metrics kind: malformed_payload, unknown_topic, unknown_alias, seq_gap, data_before_birth, … */
  kind: string;
  /** The condition within the kind: invalid_json, missing_field, wrong_type, bad_timestamp, … */
  reason: string;
  message: string;
  detail: Record<string, unknown>;
}

export class ProblemReporter {
  /** Raised conditions by subject key (device\0tag, tag '' for the device itself). */
  private readonly raised = new Map<string, Set<string>>();

  constructor(private readonly context: CollectorContext) {}

  report(problem: Problem): void {
    const { conditions, metrics } = this.context;
    metrics.errors.inc({ device: problem.device, kind: problem.kind });
    const condition = `${problem.kind}/${problem.reason}`;
    const subject =
      problem.tag === undefined ? { device: problem.device } : { device: problem.device, tag: problem.tag };
    conditions.raise(subject, condition, problem.message, problem.detail);
    const key = `${problem.device}\u0000${problem.tag ?? ''}`;
    const kinds = this.raised.get(key) ?? new Set();
    kinds.add(condition);
    this.raised.set(key, kinds);
  }

  /** Clears the conditions of a tag and of its device as a whole (a good value arrived). */
  clearTag(device: string, tag: string): void {
    if (this.raised.size === 0) return;
    this.clearKey(device, tag);
    this.clearKey(device, '');
  }

  /** Clears every condition of a device and its tags (e.g. on a birth certificate). */
  clearDevice(device: string): void {
    for (const key of [...this.raised.keys()]) {
      if (key.startsWith(`${device}\u0000`)) this.clearKey(device, key.slice(device.length + 1));
    }
  }

  private clearKey(device: string, tag: string): void {
    const key = `${device}\u0000${tag}`;
    const kinds = this.raised.get(key);
    if (!kinds) return;
    this.raised.delete(key);
    const subject = tag === '' ? { device } : { device, tag };
    for (const kind of kinds) this.context.conditions.clear(subject, kind);
  }
}
