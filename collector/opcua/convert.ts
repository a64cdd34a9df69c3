/**
 * OPC UA DataValue → shugai sample fields: value by OPC UA data type and tag type, quality from the
 * StatusCode severity, sample time by the tag's timestamp choice with fallback. Pure functions.
 */

import type { DataValue } from 'node-opcua-client';
import { DataType, StatusCodes, VariantArrayType } from 'node-opcua-client';
import type { Quality, SampleValue, DataType as TagType } from '../../core/model.ts';
import type { TimestampSource } from './schema.ts';

const STATUS_CODES = new Map(Object.values(StatusCodes).map((s) => [s.value, s]));

/** A StatusCode in words, e.g. `BadNodeIdUnknown (The node id refers to a node that does not exist…)`. */
export function statusText(statusCode: number): string {
  // The low 16 bits are info bits (overflow, limits), not part of the code's name.
  const known = STATUS_CODES.get(statusCode) ?? STATUS_CODES.get((statusCode & 0xffff0000) >>> 0);
  return known
    ? `${known.name} (${known.description.replace(/\.$/, '')})`
    : `status 0x${statusCode.toString(16).padStart(8, '0')}`;
}

/** The StatusCode severity (top two bits): 00 good, 01 uncertain, 1x bad (Part 4, 7.39). */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

/** The DataValue InfoType bit (0x400) and Overflow bit (0x80): the server's item queue dropped changes. */
export function hasOverflow(statusCode: number): boolean {
  return (statusCode & 0x0c00) === 0x0400 && (statusCode & 0x0080) !== 0;
}

export type Converted = { ok: true; value: SampleValue } | { ok: false; reason: string };

const INTEGER_TYPES = new Set([
  DataType.SByte,
  DataType.Byte,
  DataType.Int16,
  DataType.UInt16,
  DataType.Int32,
  DataType.UInt32,
]);

/**
 * Converts a variant value for a tag of the given type. Int64/UInt64 arrive as [high, low] 32-bit
 * words: within ±2^53 they become numbers, beyond that the exact decimal string (no rounding).
 * DateTime becomes ms since the epoch for number/integer tags, an ISO 8601 string for string tags.
 */
export function convertValue(
  dataType: DataType,
  arrayType: VariantArrayType,
  raw: unknown,
  tagType: TagType,
): Converted {
  if (arrayType !== VariantArrayType.Scalar) return { ok: false, reason: `${DataType[dataType]} array` };
  if (raw === null || raw === undefined) return { ok: false, reason: `null ${DataType[dataType]} value` };
  let value: SampleValue;
  if (dataType === DataType.Double || dataType === DataType.Float) value = raw as number;
  else if (INTEGER_TYPES.has(dataType)) value = raw as number;
  else if (dataType === DataType.Int64 || dataType === DataType.UInt64) {
    value = int64(raw as [number, number], dataType === DataType.Int64);
  } else if (dataType === DataType.Boolean) value = raw as boolean;
  else if (dataType === DataType.String) value = raw as string;
  else if (dataType === DataType.LocalizedText) value = (raw as { text: string | null }).text ?? '';
  else if (dataType === DataType.DateTime) {
    const ms = (raw as Date).getTime();
    value = tagType === 'string' ? new Date(ms).toISOString() : ms;
  } else return { ok: false, reason: `unsupported data type ${DataType[dataType]}` };
  return fitTagType(value, dataType, tagType);
}

function int64([high, low]: [number, number], signed: boolean): number | string {
  const big = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  const exact = signed ? BigInt.asIntN(64, big) : big;
  const asNumber = Number(exact);
  return Number.isSafeInteger(asNumber) ? asNumber : exact.toString();
}

/** Checks the converted value against the configured tag type; a mismatch is a config error, not data. */
function fitTagType(value: SampleValue, dataType: DataType, tagType: TagType): Converted {
  const source = DataType[dataType];
  switch (tagType) {
    case 'number':
      if (typeof value === 'number') return { ok: true, value };
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { ok: true, value: Number(value) };
      break;
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return { ok: true, value };
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { ok: true, value };
      break;
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      break;
    case 'string':
      return { ok: true, value: String(value) };
  }
  return { ok: false, reason: `${source} value ${JSON.stringify(value)} does not fit tag type ${tagType}` };
}

/** The value a bad sample carries when it has none: the stores need a typed field (see core/README.md). */
export function placeholder(tagType: TagType): SampleValue {
  if (tagType === 'boolean') return false;
  if (tagType === 'string') return '';
  return 0;
}

/** A usable timestamp: not null, not OPC UA's minimum (1601-01-01) nor the Unix epoch zero. */
function usable(date: Date | null | undefined): number | undefined {
  if (!date) return undefined;
  const ms = date.getTime();
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The sample time chosen by `timestamp`, falling back to the next available, finally the receive time. */
export function sampleTime(
  dataValue: Pick<DataValue, 'sourceTimestamp' | 'serverTimestamp'>,
  choice: TimestampSource,
  receivedAt: number,
): number {
  if (choice === 'gateway') return receivedAt;
  const source = usable(dataValue.sourceTimestamp);
  const server = usable(dataValue.serverTimestamp);
  const first = choice === 'source' ? (source ?? server) : (server ?? source);
  return first ?? receivedAt;
}
