/**
 * Modbus value encoding: engineering value ↔ raw value (scale) ↔ 16-bit registers in a byte/word
 * order. Orders are named by the four bytes of a 32-bit value (A most significant): ABCD big-endian,
 * CDAB word-swapped, BADC byte-swapped, DCBA little-endian. A 64-bit value applies the same two
 * rules to its four words (CDAB → GHEFCDAB, BADC → BADCFEHG, DCBA → HGFEDCBA).
 */

import { applyScale } from '../../collector/modbus/codec.ts';
import type { ModbusAddress, ModbusType, WordOrder } from '../plant/types.ts';

const RANGES: Partial<Record<ModbusType, readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

export function registerCount(type: ModbusType): number {
  if (type === 'float64') return 4;
  if (type === 'int32' || type === 'uint32' || type === 'float32') return 2;
  return 1;
}

/** The raw value a device stores for an engineering value: scaled, rounded, clamped to the type. */
export function toRaw(address: Pick<ModbusAddress, 'type' | 'scale'>, value: number): number {
  const scaled = value / address.scale;
  if (address.type === 'float32') return Math.fround(scaled);
  if (address.type === 'float64') return scaled;
  const [low, high] = RANGES[address.type] ?? [0, 1];
  return Math.min(high, Math.max(low, Math.round(scaled)));
}

/** What a correct client decodes from the raw value: raw × scale, in decimal as the collector does. */
export function fromRaw(address: Pick<ModbusAddress, 'scale'>, raw: number): number {
  return address.scale === 1 ? raw : applyScale(raw, address.scale, 0);
}

const swapsBytes = (order: WordOrder) => order === 'BADC' || order === 'DCBA';
const swapsWords = (order: WordOrder) => order === 'CDAB' || order === 'DCBA';

/** The registers holding a raw value, in wire order. */
export function encodeRegisters(type: ModbusType, order: WordOrder, raw: number): number[] {
  const count = registerCount(type);
  const bytes = new DataView(new ArrayBuffer(count * 2));
  switch (type) {
    case 'int16':
      bytes.setInt16(0, raw);
      break;
    case 'uint16':
    case 'bool':
      bytes.setUint16(0, raw);
      break;
    case 'int32':
      bytes.setInt32(0, raw);
      break;
    case 'uint32':
      bytes.setUint32(0, raw);
      break;
    case 'float32':
      bytes.setFloat32(0, raw);
      break;
    case 'float64':
      bytes.setFloat64(0, raw);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    const word = bytes.getUint16(i * 2);
    words.push(swapsBytes(order) ? ((word & 0xff) << 8) | (word >>> 8) : word);
  }
  return swapsWords(order) ? words.reverse() : words;
}

/** The raw value of registers in wire order (the inverse of {@link encodeRegisters}). */
export function decodeRegisters(type: ModbusType, order: WordOrder, registers: readonly number[]): number {
  const count = registerCount(type);
  if (registers.length !== count)
    throw new Error(`${type} needs ${count} registers, got ${registers.length}`);
  const words = swapsWords(order) ? [...registers].reverse() : [...registers];
  const bytes = new DataView(new ArrayBuffer(count * 2));
  words.forEach((word, i) => {
    bytes.setUint16(i * 2, swapsBytes(order) ? ((word & 0xff) << 8) | (word >>> 8) : word);
  });
  switch (type) {
    case 'int16':
      return bytes.getInt16(0);
    case 'int32':
      return bytes.getInt32(0);
    case 'uint32':
      return bytes.getUint32(0);
    case 'float32':
      return bytes.getFloat32(0);
    case 'float64':
      return bytes.getFloat64(0);
    default:
      return bytes.getUint16(0);
  }
}
