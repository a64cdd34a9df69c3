import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters, fromRaw, toRaw } from './codec.ts';

describe('Modbus codec', () => {
  it('lays out a float32 in the four byte orders', () => {
    // 1.0f = 0x3F800000: bytes A=3F B=80 C=00 D=00.
    expect(encodeRegisters('float32', 'ABCD', 1)).toEqual([0x3f80, 0x0000]);
    expect(encodeRegisters('float32', 'CDAB', 1)).toEqual([0x0000, 0x3f80]);
    expect(encodeRegisters('float32', 'BADC', 1)).toEqual([0x803f, 0x0000]);
    expect(encodeRegisters('float32', 'DCBA', 1)).toEqual([0x0000, 0x803f]);
  });

  it('lays out 64-bit values by the same word and byte rules', () => {
    // 1.0 = 0x3FF0000000000000
    expect(encodeRegisters('float64', 'ABCD', 1)).toEqual([0x3ff0, 0, 0, 0]);
    expect(encodeRegisters('float64', 'CDAB', 1)).toEqual([0, 0, 0, 0x3ff0]);
    expect(encodeRegisters('float64', 'BADC', 1)).toEqual([0xf03f, 0, 0, 0]);
    expect(encodeRegisters('float64', 'DCBA', 1)).toEqual([0, 0, 0, 0xf03f]);
  });

  it('round-trips every type and order', () => {
    const cases = [
      ['int16', -1234],
      ['uint16', 54321],
      ['int32', -123456789],
      ['uint32', 4000000000],
      ['float32', Math.fround(-1234.5678)],
      ['float64', 1234567.891011],
    ] as const;
    for (const [type, value] of cases) {
      for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
        expect(decodeRegisters(type, order, encodeRegisters(type, order, value))).toBe(value);
      }
    }
    expect(encodeRegisters('int16', 'ABCD', -2)).toEqual([0xfffe]);
    expect(encodeRegisters('uint32', 'CDAB', 0x12345678)).toEqual([0x5678, 0x1234]);
  });

  it('scales, rounds and clamps to the type', () => {
    expect(toRaw({ type: 'uint16', scale: 0.1 }, 220.46)).toBe(2205);
    expect(fromRaw({ scale: 0.1 }, 2205)).toBe(2205 * 0.1);
    expect(toRaw({ type: 'uint16', scale: 1 }, 70000)).toBe(65535);
    expect(toRaw({ type: 'int16', scale: 1 }, -40000)).toBe(-32768);
    expect(toRaw({ type: 'float32', scale: 1 }, 0.1)).toBe(Math.fround(0.1));
  });
});
