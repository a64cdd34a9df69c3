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
import { ByteWriter } from '../../core/bytes.ts';
import { DecimalText } from '../../core/digits.ts';
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
/** A series' saved readings: `[device, tag, high (null when none), readings oldest first]`. */
export type StoredSeries = [string, string, number | null, StoredReading[]];

const QUALITY_JSON: Record<Quality, string> = { good: '"good"', uncertain: '"uncertain"', bad: '"bad"' };
/** The text of a float, as JSON (and String()) writes it, without a string made per value. */
const FLOAT = new DecimalText();

/**
 * The recent readings of every series, as the JSON text of a StoredSeries array written straight
 * into `out` (a non-finite number as `{"n": text}`): no array or string per reading, since a save
 * runs before every release of the buffer's segments, and what it built (an array per reading,
 * the text twice) lived through the write long enough to be promoted.
 */
export function writeRecent(out: ByteWriter, table: Iterable<Series>): void {
  out.text('[');
  let first = true;
  for (const series of table) {
    const h = series.history;
    if (!h) continue;
    out.text(first ? '[' : ',[');
    first = false;
    out.text(`${JSON.stringify(series.device)},${JSON.stringify(series.tag)},`);
    if (Number.isFinite(h.high)) writeNumber(out, h.high);
    else out.text('null');
    out.text(',[');
    for (let n = 0; n < h.times.length; n++) {
      const i = (h.next + n) % h.times.length;
      out.text(n === 0 ? '[' : ',[');
      writeNumber(out, h.times[i] as number);
      out.text(',');
      const value = h.values[i] as SampleValue;
      if (typeof value === 'number') {
        if (Number.isFinite(value)) writeNumber(out, value);
        else out.text(`{"n":"${value}"}`);
      } else out.text(typeof value === 'boolean' ? String(value) : JSON.stringify(value));
      out.text(',');
      out.text(QUALITY_JSON[h.qualities[i] as Quality]);
      out.text(']');
    }
    out.text(']]');
  }
  out.text(']');
}

/** A finite number as JSON writes it. */
function writeNumber(out: ByteWriter, value: number): void {
  if (Number.isSafeInteger(value)) out.json(value);
  else {
    FLOAT.set(value);
    out.decimal(FLOAT);
  }
}

/** The recent-readings file: the buffer's next sequence number then, and the readings. */
export function recentFileBytes(nextSeq: number, table: Iterable<Series>): Uint8Array {
  const out = new ByteWriter();
  out.text(`{"seq":${nextSeq},"readings":`);
  writeRecent(out, table);
  out.text('}');
  return out.bytes.subarray(0, out.length);
}

/** What a recent-readings file holds; earlier versions saved the readings as a string of their JSON. */
export function readRecentFile(text: string): { seq: number; readings: StoredSeries[] } {
  const saved = JSON.parse(text) as { seq: number; readings: StoredSeries[] | string };
  const readings = typeof saved.readings === 'string' ? JSON.parse(saved.readings) : saved.readings;
  return { seq: saved.seq, readings };
}

/** Takes back what writeRecent saved (parsed) into the table's series. */
export function restoreRecent(table: SeriesTable, stored: readonly StoredSeries[]): void {
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
