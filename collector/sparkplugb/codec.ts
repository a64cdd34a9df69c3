/**
 * Sparkplug B payload codec (Eclipse Sparkplug 3.0, "spBv1.0"), over protobufjs with the schema of
 * the specification's sparkplug_b.proto (the scalar subset: DataSet, Template and PropertySet fields
 * are skipped on decode like any unknown field, and never encoded).
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto2";
package org.eclipse.tahu.protobuf;
message Payload {
  message Metric {
    optional string name = 1;
    optional uint64 alias = 2;
    optional uint64 timestamp = 3;
    optional uint32 datatype = 4;
    optional bool is_historical = 5;
    optional bool is_transient = 6;
    optional bool is_null = 7;
    oneof value {
      uint32 int_value = 10;
      uint64 long_value = 11;
      float float_value = 12;
      double double_value = 13;
      bool boolean_value = 14;
      string string_value = 15;
      bytes bytes_value = 16;
    }
  }
  optional uint64 timestamp = 1;
  repeated Metric metrics = 2;
  optional uint64 seq = 3;
  optional string uuid = 4;
  optional bytes body = 5;
}
`;

const PayloadType = protobuf
  .parse(PROTO, { keepCase: true })
  .root.lookupType('org.eclipse.tahu.protobuf.Payload');

/** Sparkplug B data types (spec 6.4.16). */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  Bytes: 17,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type MetricValue = number | bigint | boolean | string | Uint8Array | null;

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  value: MetricValue;
}

export interface Payload {
  timestamp?: number;
  seq?: number;
  uuid?: string;
  metrics: Metric[];
}

interface WireMetric {
  name?: string;
  alias?: protobuf.Long | number | string;
  timestamp?: protobuf.Long | number | string;
  datatype?: number;
  is_historical?: boolean;
  is_transient?: boolean;
  is_null?: boolean;
  int_value?: number;
  long_value?: protobuf.Long | number | string;
  float_value?: number;
  double_value?: number;
  boolean_value?: boolean;
  string_value?: string;
  bytes_value?: Uint8Array;
}

interface WirePayload {
  timestamp?: protobuf.Long | number | string;
  seq?: protobuf.Long | number | string;
  uuid?: string;
  metrics?: WireMetric[];
}

export class SparkplugDecodeError extends Error {
  override readonly name = 'SparkplugDecodeError';
}

export function encodePayload(payload: Payload): Uint8Array {
  const wire: WirePayload = {
    metrics: payload.metrics.map(encodeMetric),
  };
  if (payload.timestamp !== undefined) wire.timestamp = payload.timestamp;
  if (payload.seq !== undefined) wire.seq = payload.seq;
  if (payload.uuid !== undefined) wire.uuid = payload.uuid;
  return PayloadType.encode(PayloadType.fromObject(wire)).finish();
}

/** Decodes a payload; throws SparkplugDecodeError on bytes that are not a Sparkplug B payload. */
export function decodePayload(bytes: Uint8Array): Payload {
  let wire: WirePayload;
  try {
    wire = PayloadType.toObject(PayloadType.decode(bytes), {
      longs: String,
      bytes: Uint8Array,
    }) as WirePayload;
  } catch (error) {
    throw new SparkplugDecodeError(`not a Sparkplug B payload: ${(error as Error).message}`);
  }
  const payload: Payload = { metrics: (wire.metrics ?? []).map(decodeMetric) };
  if (wire.timestamp !== undefined) payload.timestamp = Number(wire.timestamp);
  if (wire.seq !== undefined) payload.seq = Number(wire.seq);
  if (wire.uuid !== undefined) payload.uuid = wire.uuid;
  return payload;
}

function encodeMetric(metric: Metric): WireMetric {
  const wire: WireMetric = {};
  if (metric.name !== undefined) wire.name = metric.name;
  if (metric.alias !== undefined) wire.alias = metric.alias;
  if (metric.timestamp !== undefined) wire.timestamp = metric.timestamp;
  if (metric.datatype !== undefined) wire.datatype = metric.datatype;
  if (metric.isHistorical) wire.is_historical = true;
  if (metric.isTransient) wire.is_transient = true;
  const value = metric.value;
  if (value === null) {
    wire.is_null = true;
    return wire;
  }
  switch (metric.datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
      // Signed values travel as their two's complement in the unsigned field (spec 6.4.16).
      wire.int_value = Number(value) >>> 0;
      break;
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      wire.int_value = Number(value);
      break;
    case DataType.Int64:
    case DataType.UInt64:
    case DataType.DateTime:
      wire.long_value = BigInt.asUintN(64, BigInt(value as number | bigint)).toString();
      break;
    case DataType.Float:
      wire.float_value = Number(value);
      break;
    case DataType.Double:
      wire.double_value = Number(value);
      break;
    case DataType.Boolean:
      wire.boolean_value = Boolean(value);
      break;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      wire.string_value = String(value);
      break;
    case DataType.Bytes:
      wire.bytes_value = value as Uint8Array;
      break;
    case undefined:
      // A DATA metric may omit its datatype (the birth declared it): pick the field from the value.
      encodeUntyped(wire, value);
      break;
    default:
      throw new TypeError(
        `cannot encode metric ${metric.name ?? metric.alias} with datatype ${metric.datatype}`,
      );
  }
  return wire;
}

function encodeUntyped(wire: WireMetric, value: Exclude<MetricValue, null>): void {
  if (typeof value === 'boolean') wire.boolean_value = value;
  else if (typeof value === 'string') wire.string_value = value;
  else if (value instanceof Uint8Array) wire.bytes_value = value;
  else if (typeof value === 'bigint') wire.long_value = BigInt.asUintN(64, value).toString();
  else if (Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) wire.int_value = value;
  else if (Number.isSafeInteger(value)) wire.long_value = BigInt.asUintN(64, BigInt(value)).toString();
  else wire.double_value = value;
}

function decodeMetric(wire: WireMetric): Metric {
  const metric: Metric = { value: null };
  if (wire.name !== undefined && wire.name !== '') metric.name = wire.name;
  if (wire.alias !== undefined) metric.alias = Number(wire.alias);
  if (wire.timestamp !== undefined) metric.timestamp = Number(wire.timestamp);
  if (wire.datatype !== undefined) metric.datatype = wire.datatype;
  if (wire.is_historical) metric.isHistorical = true;
  if (wire.is_transient) metric.isTransient = true;
  if (wire.is_null) return metric;
  metric.value = decodeValue(wire);
  return metric;
}

function decodeValue(wire: WireMetric): MetricValue {
  if (wire.int_value !== undefined) {
    const raw = wire.int_value >>> 0;
    switch (wire.datatype) {
      case DataType.Int8:
        return (raw << 24) >> 24;
      case DataType.Int16:
        return (raw << 16) >> 16;
      case DataType.Int32:
        return raw | 0;
      default:
        return raw;
    }
  }
  if (wire.long_value !== undefined) {
    const unsigned = BigInt.asUintN(64, BigInt(wire.long_value.toString()));
    const big = wire.datatype === DataType.Int64 ? BigInt.asIntN(64, unsigned) : unsigned;
    // Within ±2^53 a number is exact; beyond, keep the bigint so nothing is rounded silently.
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  if (wire.float_value !== undefined) return wire.float_value;
  if (wire.double_value !== undefined) return wire.double_value;
  if (wire.boolean_value !== undefined) return wire.boolean_value;
  if (wire.string_value !== undefined) return wire.string_value;
  if (wire.bytes_value !== undefined) return wire.bytes_value;
  return null;
}

/**
 * A value decoded without a datatype (a DATA metric may omit it) read as `datatype`, the one its
 * birth declared: the signed types arrive as their unsigned two's complement.
 */
export function reinterpret(value: MetricValue, datatype: number): MetricValue {
  switch (datatype) {
    case DataType.Int8:
      return typeof value === 'number' ? (value << 24) >> 24 : value;
    case DataType.Int16:
      return typeof value === 'number' ? (value << 16) >> 16 : value;
    case DataType.Int32:
      return typeof value === 'number' ? value | 0 : value;
    case DataType.Int64: {
      if (typeof value !== 'number' && typeof value !== 'bigint') return value;
      const big = BigInt.asIntN(64, BigInt(value));
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    default:
      return value;
  }
}
