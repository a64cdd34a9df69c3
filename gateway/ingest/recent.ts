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
import { type Quality, type SampleValue, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import type { Series, SeriesTable } from './series.ts';

/** Readings remembered per tag. */
export const DEPTH = 8;

export type Verdict = 'new' | 'repeat' | 'conflict';

export interface History {
  /** The latest source time accepted. */
  high: number;
  /**
   * The latest time in the ring, a link-lost mark's (the gateway's clock) included: a reading after
   * it is new without looking through the ring (a source's times mostly rise).
   */
  newest: number;
  times: number[];
  values: SampleValue[];
  qualities: Quality[];
  /** Where the next reading goes in the ring. */
  next: number;
}

export interface Reading {
  sourceTime: number;
  value: SampleValue;
  quality: Quality;
  statusCode?: number;
  resent?: boolean;
}

/** Judges a reading against its series' recent ones, and remembers it when it is new. */
export function judge(series: { history: History | undefined }, r: Reading): Verdict {
  let history = series.history;
  if (history) {
    if (r.sourceTime > history.newest) return remember(history, r);
    const i = history.times.indexOf(r.sourceTime);
    if (i >= 0)
      return Object.is(history.values[i], r.value) && history.qualities[i] === r.quality
        ? 'repeat'
        : 'conflict';
    if (r.resent && r.sourceTime <= history.high) return 'repeat';
  } else {
    history = {
      high: Number.NEGATIVE_INFINITY,
      newest: Number.NEGATIVE_INFINITY,
      times: [],
      values: [],
      qualities: [],
      next: 0,
    };
    series.history = history;
  }
  return remember(history, r);
}

function remember(history: History, r: Reading): 'new' {
  // A mark the gateway writes when a link is lost carries the gateway's time, not the source's: it
  // must not make the source's resent readings older than it look already accepted.
  if (r.statusCode !== STATUS_NO_COMMUNICATION && r.sourceTime > history.high) history.high = r.sourceTime;
  if (r.sourceTime > history.newest) history.newest = r.sourceTime;
  history.times[history.next] = r.sourceTime;
  history.values[history.next] = r.value;
  history.qualities[history.next] = r.quality;
  history.next = (history.next + 1) % DEPTH;
  return 'new';
}

type StoredReading = [time: number, value: SampleValue | { n: string }, quality: Quality];

/** The recent readings of every series as JSON, oldest first; a non-finite number as `{"n": text}`. */
export function serializeRecent(table: Iterable<Series>): string {
  const out: [string, string, number | null, StoredReading[]][] = [];
  for (const series of table) {
    const h = series.history;
    if (!h) continue;
    const readings: StoredReading[] = [];
    for (let n = 0; n < h.times.length; n++) {
      const i = (h.next + n) % h.times.length;
      const value = h.values[i] as SampleValue;
      const stored = typeof value === 'number' && !Number.isFinite(value) ? { n: String(value) } : value;
      readings.push([h.times[i] as number, stored, h.qualities[i] as Quality]);
    }
    out.push([series.device, series.tag, Number.isFinite(h.high) ? h.high : null, readings]);
  }
  return JSON.stringify(out);
}

/** Takes back what serializeRecent saved into the table's series. */
export function restoreRecent(table: SeriesTable, text: string): void {
  const stored = JSON.parse(text) as [string, string, number | null, StoredReading[]][];
  for (const [device, tag, high, readings] of stored) {
    let series: Series | undefined;
    for (const [sourceTime, value, quality] of readings) {
      const restored = typeof value === 'object' ? Number(value.n) : value;
      series ??= table.get(device, tag, restored);
      judge(series, { sourceTime, value: restored, quality });
    }
    // The saved high is exact; the ring's readings (no status codes kept) may include link-lost marks.
    if (series?.history) series.history.high = high ?? Number.NEGATIVE_INFINITY;
  }
}
