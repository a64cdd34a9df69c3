/**
 * The readings of each tag the gateway accepted last, so that a (tag, source time) is stored and
 * attested once: a store keeps one point per series and time, so a second reading with the same
 * time would be signed but not stored, and a verifier would call the genuine store altered.
 *
 * - the same time and value again (a cyclic read of an unchanged value, a QoS 1 resend): a repeat;
 * - the same time with another value or quality (a device reporting twice a second with
 *   whole-second timestamps): a conflict. The first reading accepted wins, deterministically: it
 *   may already be signed in an earlier record, and the store will hold what was signed.
 *
 * Each tag keeps its last DEPTH readings, and the latest source time it ever accepted. A reading the
 * source marks as resent (MQTT DUP: the broker delivers again what it has no acknowledgement for, up
 * to its in-flight window, which may be deeper than DEPTH) at or before that time is a repeat too:
 * the gateway accepted it before it could acknowledge it. The state survives restarts: saved with
 * the chain head and replayed from the buffer's newer records.
 */
import type { Quality, SampleValue } from '../core/model.ts';

/** Readings remembered per tag. */
export const DEPTH = 8;

export type Verdict = 'new' | 'repeat' | 'conflict';

interface History {
  /** The latest source time accepted. */
  high: number;
  times: number[];
  values: SampleValue[];
  qualities: Quality[];
  /** Where the next reading goes in the ring. */
  next: number;
}

type StoredReading = [time: number, value: SampleValue | { n: string }, quality: Quality];

export interface Reading {
  device: string;
  tag: string;
  sourceTime: number;
  value: SampleValue;
  quality: Quality;
  resent?: boolean;
}

export class RecentReadings {
  private readonly tags = new Map<string, History>();

  /** Judges a reading against its tag's recent ones, and remembers it when it is new. */
  check(r: Reading): Verdict {
    const key = `${r.device}\u0000${r.tag}`;
    let history = this.tags.get(key);
    if (history) {
      const i = history.times.indexOf(r.sourceTime);
      if (i >= 0)
        return Object.is(history.values[i], r.value) && history.qualities[i] === r.quality
          ? 'repeat'
          : 'conflict';
      if (r.resent && r.sourceTime <= history.high) return 'repeat';
    } else {
      history = { high: r.sourceTime, times: [], values: [], qualities: [], next: 0 };
      this.tags.set(key, history);
    }
    history.high = Math.max(history.high, r.sourceTime);
    history.times[history.next] = r.sourceTime;
    history.values[history.next] = r.value;
    history.qualities[history.next] = r.quality;
    history.next = (history.next + 1) % DEPTH;
    return 'new';
  }

  /** The state as JSON, oldest reading of each tag first; a non-finite number as `{"n": text}`. */
  serialize(): string {
    const out: [string, string, number, StoredReading[]][] = [];
    for (const [key, h] of this.tags) {
      const [device, tag] = key.split('\u0000') as [string, string];
      const readings: StoredReading[] = [];
      for (let n = 0; n < h.times.length; n++) {
        const i = (h.next + n) % h.times.length;
        const value = h.values[i] as SampleValue;
        const stored = typeof value === 'number' && !Number.isFinite(value) ? { n: String(value) } : value;
        readings.push([h.times[i] as number, stored, h.qualities[i] as Quality]);
      }
      out.push([device, tag, h.high, readings]);
    }
    return JSON.stringify(out);
  }

  static parse(text: string): RecentReadings {
    const recent = new RecentReadings();
    const stored = JSON.parse(text) as [string, string, number, StoredReading[]][];
    for (const [device, tag, high, readings] of stored) {
      for (const [sourceTime, value, quality] of readings) {
        const restored = typeof value === 'object' ? Number(value.n) : value;
        recent.check({ device, tag, sourceTime, value: restored, quality });
      }
      const history = recent.tags.get(`${device}\u0000${tag}`);
      if (history) history.high = Math.max(history.high, high);
    }
    return recent;
  }
}
