/**
 * Register contents → tag values: widths, byte/word orders, scale and offset, strings.
 * Pure functions, no I/O; the table of orders and the int64 policy are documented in README.md.
 */
import type { DataType, Quality, SampleValue } from '../../core/model.ts';
import { STATUS } from './errors.ts';

export const MODBUS_DATA_TYPES = [
  'bool',
  'bit',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float16',
  'float32',
  'float64',
  'string',
] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];

/**
 * The order in which the value's bytes arrive, A being the most significant. Four-letter names
 * apply to every width (ABCD is big-endian, CDAB swaps words, BADC swaps the bytes of each
 * register, DCBA does both); the eight-letter names are the same four orders spelt out for 64 bits.
 */
export const BYTE_ORDERS = [
  'AB',
  'BA',
  'ABCD',
  'CDAB',
  'BADC',
  'DCBA',
  'ABCDEFGH',
  'GHEFCDAB',
  'BADCFEHG',
  'HGFEDCBA',
] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export const STRING_ENCODINGS = ['utf-8', 'gbk', 'latin1'] as const;
export type StringEncoding = (typeof STRING_ENCODINGS)[number];

const WIDTH: Record<Exclude<ModbusDataType, 'string'>, number> = {
  bool: 0,
  bit: 1,
  int16: 1,
  uint16: 1,
  float16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

/** Registers a value occupies (0 for bool: it lives in a coil or discrete input). */
export function registerCount(dataType: ModbusDataType, length = 1): number {
  return dataType === 'string' ? length : WIDTH[dataType];
}

interface Swaps {
  words: boolean;
  bytes: boolean;
}

const SWAPS: Record<ByteOrder, Swaps> = {
  AB: { words: false, bytes: false },
  BA: { words: false, bytes: true },
  ABCD: { words: false, bytes: false },
  CDAB: { words: true, bytes: false },
  BADC: { words: false, bytes: true },
  DCBA: { words: true, bytes: true },
  ABCDEFGH: { words: false, bytes: false },
  GHEFCDAB: { words: true, bytes: false },
  BADCFEHG: { words: false, bytes: true },
  HGFEDCBA: { words: true, bytes: true },
};

/** Why an order does not fit a data type, or undefined when it does. */
export function orderProblem(dataType: ModbusDataType, order: ByteOrder): string | undefined {
  if (dataType === 'string') {
    return SWAPS[order].words ? `strings run in register order: use AB or BA, not ${order}` : undefined;
  }
  const width = registerCount(dataType);
  if (order.length === 8 && width !== 4) return `order ${order} is for 64-bit types only`;
  if (order.length === 2 && width > 1) return `order ${order} is for 16-bit types and strings only`;
  return undefined;
}

/** The decoding of one tag, resolved once from its config. */
export interface ValueSpec {
  dataType: ModbusDataType;
  type: DataType;
  order: ByteOrder;
  /** Bit index for dataType bit: 0 is the least significant bit of the register as transmitted. */
  bit: number;
  /** Registers of a string. */
  length: number;
  scale: number;
  offset: number;
  encoding: StringEncoding;
}

export interface Decoded {
  value: SampleValue;
  quality: Quality;
  statusCode: number;
}

const good = (value: SampleValue): Decoded => ({ value, quality: 'good', statusCode: STATUS.good });

/** Puts the bytes in ABCD… order: words and bytes as the tag's order says (words only above 16 bits). */
function normalize(raw: Buffer, order: ByteOrder): Buffer {
  const swaps = SWAPS[order];
  const registers = raw.length / 2;
  const out = Buffer.allocUnsafe(raw.length);
  for (let i = 0; i < registers; i++) {
    const from = (swaps.words && registers > 1 ? registers - 1 - i : i) * 2;
    const hi = raw[from]!;
    const lo = raw[from + 1]!;
    out[i * 2] = swaps.bytes ? lo : hi;
    out[i * 2 + 1] = swaps.bytes ? hi : lo;
  }
  return out;
}

/** Decodes a tag from the bytes of its registers as received (2 bytes per register, big-endian each). */
export function decodeRegisters(spec: ValueSpec, raw: Buffer): Decoded {
  if (spec.dataType === 'bit') {
    return good(((raw.readUInt16BE(0) >> spec.bit) & 1) === 1);
  }
  // Word order never applies to strings (an inherited CDAB keeps only its byte part).
  const bytes = normalize(raw, spec.dataType === 'string' ? byteSwapOnly(spec.order) : spec.order);
  switch (spec.dataType) {
    case 'string':
      return good(decodeString(bytes, spec.encoding));
    case 'int16':
      return scaled(bytes.readInt16BE(0), spec);
    case 'uint16':
      return scaled(bytes.readUInt16BE(0), spec);
    case 'int32':
      return scaled(bytes.readInt32BE(0), spec);
    case 'uint32':
      return scaled(bytes.readUInt32BE(0), spec);
    case 'float16':
      return scaled(float16(bytes.readUInt16BE(0)), spec);
    case 'float32':
      return scaled(bytes.readFloatBE(0), spec);
    case 'float64':
      return scaled(bytes.readDoubleBE(0), spec);
    case 'int64':
      return wide(bytes.readBigInt64BE(0), spec);
    case 'uint64':
      return wide(bytes.readBigUInt64BE(0), spec);
    case 'bool':
      throw new Error('bool values come from coils or discrete inputs, not registers');
  }
}

function byteSwapOnly(order: ByteOrder): ByteOrder {
  return SWAPS[order].bytes ? 'BA' : 'AB';
}

function decodeString(bytes: Buffer, encoding: StringEncoding): string {
  const end = bytes.indexOf(0);
  return new TextDecoder(encoding).decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** IEEE 754 binary16. */
function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * 64-bit integers: exact decimal strings for tags of type string; numbers while within ±2^53 for
 * integer tags, beyond that the nearest number with quality uncertain; plain floats for number tags.
 */
function wide(raw: bigint, spec: ValueSpec): Decoded {
  if (spec.type === 'string') return good(raw.toString());
  const approx = Number(raw);
  if (spec.type === 'integer' && !Number.isSafeInteger(approx)) {
    return { value: approx, quality: 'uncertain', statusCode: STATUS.precisionLoss };
  }
  return scaled(approx, spec);
}

function scaled(raw: number, spec: ValueSpec): Decoded {
  if (!Number.isFinite(raw)) {
    // A float register holding NaN or ±Infinity: a bad reading, kept as such (stores keep its text).
    return { value: raw, quality: 'bad', statusCode: STATUS.notFinite };
  }
  if (spec.scale === 1 && spec.offset === 0) return good(raw);
  return good(applyScale(raw, spec.scale, spec.offset));
}

/**
 * value × scale + offset. For integer raw values and decimal scales the product is computed in
 * integers and divided once by a power of ten, so 3 × 0.1 gives 0.3, not 0.30000000000000004.
 */
export function applyScale(raw: number, scale: number, offset: number): number {
  const digits = Math.max(decimals(scale), decimals(offset));
  if (Number.isInteger(raw) && digits <= 15) {
    const unit = 10 ** digits;
    const m = Math.round(scale * unit);
    const o = Math.round(offset * unit);
    const numerator = raw * m + o;
    if (m / unit === scale && o / unit === offset && Number.isSafeInteger(numerator)) return numerator / unit;
  }
  return raw * scale + offset;
}

function decimals(x: number): number {
  const text = Math.abs(x).toString();
  const exp = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (exp) return Math.max(0, (exp[2]?.length ?? 0) - Number(exp[3]));
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}
