/**
 * Signs of made-up data. Flags, not verdicts: each says what was seen, for a person to judge.
 * - a numeric signal that never changes over many samples, where a machine varies;
 * - a signal that repeats an exact pattern (a replayed recording);
 * - an integer counter that only ever rises over more than a day, across shift changes where
 *   part counters are commonly reset (a generated sequence rather than a controller's counter);
 * - points whose source time falls in a long period without any attestation (the gateway was off,
 *   yet the device "reported").
 */
import type { StoredSample } from '../sinks/sink.ts';

export interface PlausibilityFlag {
  kind: 'constant' | 'periodic' | 'never_reset' | 'reported_while_offline';
  device: string;
  tag?: string;
  message: string;
}

const MIN_SAMPLES = 60;
/** Only the last samples of a signal are searched for a period, to bound the work. */
const PERIOD_WINDOW = 2000;
const MAX_PERIOD = 200;
/** A counter that rose without a single drop for longer than this crossed at least two shift changes. */
const NEVER_RESET_MS = 24 * 3_600_000;

interface CounterTrack {
  first: number;
  last: number;
  previous: number;
  rising: boolean;
  increased: boolean;
}

export class SignalWatch {
  private readonly values = new Map<string, number[]>();
  private readonly counts = new Map<string, number>();
  private readonly constant = new Map<string, number | undefined>();
  private readonly counters = new Map<string, CounterTrack>();

  add(sample: StoredSample): void {
    if (sample.quality !== 'good' || (sample.type !== 'number' && sample.type !== 'integer')) return;
    const key = `${sample.device}\u0000${sample.tag}`;
    const value = Number(sample.value);
    if (sample.type === 'integer') this.trackCounter(key, value, sample.sourceTime);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const first = this.constant.has(key) ? this.constant.get(key) : value;
    this.constant.set(key, first === value ? value : Number.NaN);
    const recent = this.values.get(key) ?? [];
    recent.push(value);
    // Trimmed in chunks: shifting one element per sample would copy the array every time.
    if (recent.length > 2 * PERIOD_WINDOW) recent.splice(0, recent.length - PERIOD_WINDOW);
    this.values.set(key, recent);
  }

  private trackCounter(key: string, value: number, time: number): void {
    const track = this.counters.get(key);
    if (!track) {
      this.counters.set(key, { first: time, last: time, previous: value, rising: true, increased: false });
      return;
    }
    if (value < track.previous) track.rising = false;
    if (value > track.previous) track.increased = true;
    track.previous = value;
    track.last = time;
  }

  flags(): PlausibilityFlag[] {
    const out: PlausibilityFlag[] = [];
    for (const [key, track] of this.counters) {
      if (!track.rising || !track.increased || track.last - track.first < NEVER_RESET_MS) continue;
      const [device, tag] = key.split('\u0000') as [string, string];
      const hours = Math.round((track.last - track.first) / 3_600_000);
      out.push({
        kind: 'never_reset',
        device,
        tag,
        message: `${device}/${tag}: rose for ${hours} h without ever resetting, across shift changes`,
      });
    }
    for (const [key, count] of this.counts) {
      if (count < MIN_SAMPLES) continue;
      const [device, tag] = key.split('\u0000') as [string, string];
      const constant = this.constant.get(key);
      if (constant !== undefined && !Number.isNaN(constant)) {
        out.push({
          kind: 'constant',
          device,
          tag,
          message: `${device}/${tag}: all ${count} samples are exactly ${constant}`,
        });
        continue;
      }
      const period = exactPeriod((this.values.get(key) ?? []).slice(-PERIOD_WINDOW));
      if (period !== undefined) {
        out.push({
          kind: 'periodic',
          device,
          tag,
          message: `${device}/${tag}: the last ${Math.min(count, PERIOD_WINDOW)} samples repeat exactly every ${period} samples`,
        });
      }
    }
    return out;
  }
}

/** The smallest k (≥ 2) such that the series repeats with period k at least three times over. */
export function exactPeriod(values: readonly number[]): number | undefined {
  const limit = Math.min(MAX_PERIOD, Math.floor(values.length / 3));
  for (let k = 2; k <= limit; k++) {
    let repeats = true;
    for (let i = 0; i + k < values.length; i++) {
      if (values[i] !== values[i + k]) {
        repeats = false;
        break;
      }
    }
    if (repeats) return k;
  }
  return undefined;
}

/** Periods of at least `minGapMs` with no attestation at all: the gateway was off or cut off. */
export function offlinePeriods(attestationTimes: ArrayLike<number>, minGapMs: number): [number, number][] {
  const sorted = Float64Array.from(attestationTimes).sort();
  const out: [number, number][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1] as number, sorted[i] as number];
    if (b - a >= minGapMs) out.push([a, b]);
  }
  return out;
}
