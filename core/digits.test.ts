import { describe, expect, it } from 'vitest';
import { DecimalText, putSafeInteger, RepeatedInteger, SAFE_INTEGER_BYTES } from './digits.ts';

const text = (bytes: Uint8Array, end: number) => Buffer.from(bytes.subarray(0, end)).toString('latin1');

describe('digits', () => {
  it('putSafeInteger writes what String() writes, at the edges of int32 and of safe integers', () => {
    const bytes = new Uint8Array(SAFE_INTEGER_BYTES);
    for (const n of [
      0,
      -0,
      7,
      -7,
      99_999_999,
      100_000_000,
      -100_000_001,
      2 ** 31,
      1_764_835_200_000,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
    ])
      expect(text(bytes, putSafeInteger(bytes, 0, n))).toBe(String(n));
  });

  it('RepeatedInteger writes each value of a sequence with repeats as String() does, where it is asked to', () => {
    const repeated = new RepeatedInteger();
    const bytes = new Uint8Array(64).fill(120); // 'x'
    const values = [
      1_764_835_200_000,
      1_764_835_200_000,
      5,
      5,
      -0,
      0,
      -12,
      1_764_835_200_000,
      2 ** 53 - 1,
      2 ** 53 - 1,
    ];
    for (const [i, n] of values.entries()) {
      const at = i % 3;
      const end = repeated.put(bytes, at, n);
      expect(text(bytes.subarray(at), end - at), `value ${i}`).toBe(String(n));
      // Nothing after it is touched.
      expect(bytes[end]).toBe(120);
      bytes.fill(120);
    }
  });
});

describe('DecimalText', () => {
  const decimal = new DecimalText();
  const written = (x: number) => {
    decimal.set(x);
    return Buffer.from(decimal.bytes.subarray(0, decimal.length)).toString('latin1');
  };

  it('writes what String() writes at the edges of the digit path and outside it', () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      23.47,
      -23.47,
      0.1,
      0.2,
      0.1 + 0.2,
      0.3,
      1e-6,
      1.5e-6,
      9.99e-7,
      1e-7,
      123456789012345,
      999999999999999,
      1e15,
      1e15 + 1,
      1234567890123456,
      2 ** 53,
      1e21,
      1.7976931348623157e308,
      5e-324,
      100,
      1000.5,
      0.001,
      0.000123,
      4.35,
      4.345,
      1.005,
      Math.PI - 3e-15,
      Math.PI,
      2.5e-5,
      Math.fround(23.45),
      Math.fround(0.1),
      65535,
      -32768.25,
      1e14 + 0.5,
      0.1234567890123456,
    ];
    for (const x of edges) expect(written(x), String(x)).toBe(String(x));
  });

  it('writes what String() writes for a million values: short decimals, float32 readings, any doubles', () => {
    let seed = 42;
    const random = () => {
      // xorshift32: the same values on every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const bits = new DataView(new ArrayBuffer(8));
    let digitPath = 0;
    for (let i = 0; i < 1_000_000; i++) {
      let x: number;
      const scale = 10 ** Math.floor(random() * 24 - 8);
      switch (i % 4) {
        case 0: // a reading with a few decimals
          x = Math.round((random() - 0.3) * 1e6) / 10 ** Math.floor(random() * 7);
          break;
        case 1: // a 32-bit float widened, as Modbus and OPC UA give
          x = Math.fround((random() - 0.5) * scale);
          break;
        case 2: // any double in a wide range
          x = (random() - 0.5) * scale;
          break;
        default: // any bit pattern that is a finite double
          bits.setUint32(0, (random() * 2 ** 32) >>> 0);
          bits.setUint32(4, (random() * 2 ** 32) >>> 0);
          x = bits.getFloat64(0);
          if (!Number.isFinite(x)) x = i;
      }
      const text = String(x);
      if (text.replace(/^-|\.|^0\.0*/g, '').length <= 15 && !text.includes('e')) digitPath++;
      if (written(x) !== text) expect(written(x), `${text} (${i})`).toBe(text);
    }
    // Most values were of the kind written from digits (at most 15 significant, no exponent).
    expect(digitPath).toBeGreaterThan(250_000);
  });
});
