/**
 * InfluxDB line protocol for samples; the naming is documented in gateway/sinks/README.md.
 *
 *   <measurement>,device=<id>,gateway=<id>,quality=<q>,tag_id=<id> <field>=<value>,received=<ms>i[,status=<code>i] <sourceTime ms>
 *
 * The value goes into a field named by its type, because InfluxDB fixes a field's type per
 * measurement: `value` (float), `value_int` (integer), `value_bool`, `value_str`. A non-finite float
 * (NaN, ±Infinity: a bad reading) has no float field; its text goes into `value_raw`. Writing the same
 * sample twice writes the same point (same series and timestamp), so replays are harmless. The tag
 * key is `tag_id`, not `tag`, because TAG is an InfluxQL keyword.
 */
import { type DataType, nonFiniteText, type SampleValue } from '../../core/model.ts';
import type { StoredSample } from './sink.ts';

export interface LineProtocolOptions {
  measurement: string;
  gatewayId: string;
}

export const VALUE_FIELDS = {
  number: 'value',
  integer: 'value_int',
  boolean: 'value_bool',
  string: 'value_str',
} as const;
/** The text of a number InfluxDB cannot hold as a float (NaN, ±Infinity). */
export const RAW_VALUE_FIELD = 'value_raw';

export function toLine(sample: StoredSample, options: LineProtocolOptions): string {
  const tags = `device=${escapeTag(sample.device)},gateway=${escapeTag(options.gatewayId)},quality=${sample.quality},tag_id=${escapeTag(sample.tag)}`;
  const raw =
    sample.type === 'number' || sample.type === 'integer' ? nonFiniteText(Number(sample.value)) : undefined;
  let fields =
    raw === undefined
      ? `${VALUE_FIELDS[sample.type]}=${fieldText(sample.type, sample.value)}`
      : `${RAW_VALUE_FIELD}=${quoted(raw)}`;
  fields += `,received=${Math.trunc(sample.receivedAt)}i`;
  if (sample.statusCode !== 0) fields += `,status=${Math.trunc(sample.statusCode)}i`;
  return `${escapeMeasurement(options.measurement)},${tags} ${fields} ${Math.trunc(sample.sourceTime)}`;
}

export function toLines(samples: readonly StoredSample[], options: LineProtocolOptions): string {
  let text = '';
  for (const sample of samples) text += `${toLine(sample, options)}\n`;
  return text;
}

/**
 * A string field: only `"` and `\` are escaped. Newlines, tabs and carriage returns go in as they
 * are, inside the quotes, which InfluxDB stores and returns exactly (an escaped `\n` would be kept
 * as a backslash and an n).
 */
export function quoted(text: string): string {
  // A replacement pattern, not a function: an attestation's text has a thousand quotes to escape.
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/** A value in line protocol, for its declared type. */
export function fieldText(type: DataType, value: SampleValue): string {
  switch (type) {
    case 'integer':
      return `${typeof value === 'number' ? Math.trunc(value) : Number(value)}i`;
    case 'number':
      return String(Number(value));
    case 'boolean':
      return value === true || value === 'true' ? 'true' : 'false';
    case 'string':
      return quoted(String(value));
  }
}

export function escapeTag(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/[,= ]/g, (c) => `\\${c}`);
}

function escapeMeasurement(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/[, ]/g, (c) => `\\${c}`);
}
