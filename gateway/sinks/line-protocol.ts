/**
 * InfluxDB line protocol for samples; the naming is documented in gateway/sinks/README.md.
 *
 *   <measurement>,device=<id>,gateway=<id>,quality=<q>,tag_id=<id> <field>=<value>,received=<ms>i[,status=<code>i] <sourceTime ms>
 *
 * The value goes into a field named by its type, because InfluxDB fixes a field's type per
 * measurement: `value` (float), `value_int` (integer), `value_bool`, `value_str`. Writing the same
 * sample twice writes the same point (same series and timestamp), so replays are harmless. The tag
 * key is `tag_id`, not `tag`, because TAG is an InfluxQL keyword.
 */
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

export function toLine(sample: StoredSample, options: LineProtocolOptions): string {
  const tags = `device=${escapeTag(sample.device)},gateway=${escapeTag(options.gatewayId)},quality=${sample.quality},tag_id=${escapeTag(sample.tag)}`;
  let fields = `${VALUE_FIELDS[sample.type]}=${fieldValue(sample)},received=${Math.trunc(sample.receivedAt)}i`;
  if (sample.statusCode !== 0) fields += `,status=${Math.trunc(sample.statusCode)}i`;
  return `${escapeMeasurement(options.measurement)},${tags} ${fields} ${Math.trunc(sample.sourceTime)}`;
}

/** Lines for a batch; samples InfluxDB cannot hold (NaN or infinite floats) are left out and counted. */
export function toLines(
  samples: readonly StoredSample[],
  options: LineProtocolOptions,
): { text: string; unrepresentable: number } {
  let text = '';
  let unrepresentable = 0;
  for (const sample of samples) {
    if (sample.type === 'number' && !Number.isFinite(Number(sample.value))) unrepresentable++;
    else text += `${toLine(sample, options)}\n`;
  }
  return { text, unrepresentable };
}

function fieldValue(sample: StoredSample): string {
  const value = sample.value;
  switch (sample.type) {
    case 'integer':
      return `${typeof value === 'number' ? Math.trunc(value) : Number(value)}i`;
    case 'number':
      return String(Number(value));
    case 'boolean':
      return value === true || value === 'true' ? 'true' : 'false';
    case 'string':
      return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  }
}

function escapeTag(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/[,= ]/g, (c) => `\\${c}`);
}

function escapeMeasurement(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/[, ]/g, (c) => `\\${c}`);
}
