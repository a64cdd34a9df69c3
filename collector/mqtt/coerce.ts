/**
 * Converts received values to a tag's declared type, strictly: a value that does not fit is an
 * error, never rounded or guessed (23.5 is not an integer, "abc" is not a number, 2 is not a boolean).
 * Shared by the MQTT and Sparkplug B collectors.
 */
import type { DataType, SampleValue } from '../../core/model.ts';

export type Coerced = { value: SampleValue } | { error: string };

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value as `type`: numbers from numbers or numeric strings; integers only when exact and
 * within ±2^53; booleans from true/false, 0/1, "true"/"false"/"0"/"1"; strings from strings,
 * numbers and booleans.
 */
export function coerce(value: unknown, type: DataType): Coerced {
  switch (type) {
    case 'number':
    case 'integer': {
      const n = toNumber(value);
      if (n === undefined) return { error: `${describe(value)} is not a number` };
      if (type === 'integer' && !Number.isSafeInteger(n))
        return { error: `${describe(value)} is not an integer` };
      return { value: n };
    }
    case 'boolean': {
      const b = toBoolean(value);
      return b === undefined ? { error: `${describe(value)} is not a boolean` } : { value: b };
    }
    case 'string':
      if (typeof value === 'string') return { value };
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
        return { value: String(value) };
      }
      return { error: `${describe(value)} is not a string` };
  }
}

/** NaN and ±Infinity (a Sparkplug double, "1e999") stay numbers: ingest keeps them as bad readings. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    // A bigint beyond ±2^53 cannot be a float sample without rounding.
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (typeof value === 'string') {
    const text = value.trim();
    return NUMERIC.test(text) ? Number(text) : undefined;
  }
  return undefined;
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

export const TIMESTAMP_FORMATS = ['epoch_ms', 'epoch_s', 'iso8601'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

// 2000-01-01: an earlier time almost always means a wrong timestampFormat (seconds read as ms).
const EARLIEST_MS = 946_684_800_000;
const MAX_FUTURE_MS = 24 * 3600 * 1000;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A payload timestamp in ms since the epoch. ISO 8601 needs an explicit zone (Z or ±hh:mm): a
 * local time is ambiguous on a gateway. Times before 2000 or more than a day ahead of `now` are
 * rejected as a sign of a wrong format.
 */
export function parseTimestamp(
  value: unknown,
  format: TimestampFormat,
  now: number,
): number | { error: string } {
  let ms: number | undefined;
  if (format === 'iso8601') {
    if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value.trim())) {
      return { error: `timestamp ${describe(value)} is not ISO 8601 with a zone (Z or ±hh:mm)` };
    }
    ms = Date.parse(value.trim());
  } else {
    const n = toNumber(value);
    if (n === undefined) return { error: `timestamp ${describe(value)} is not a number` };
    ms = format === 'epoch_s' ? Math.round(n * 1000) : Math.round(n);
  }
  if (!Number.isFinite(ms)) return { error: `timestamp ${describe(value)} is not a valid time` };
  if (ms < EARLIEST_MS || ms > now + MAX_FUTURE_MS) {
    return {
      error: `timestamp ${describe(value)} read as ${format} is out of range (wrong timestampFormat?)`,
    };
  }
  return ms;
}
