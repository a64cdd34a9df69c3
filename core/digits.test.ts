import { describe, expect, it } from 'vitest';
import { putSafeInteger, RepeatedInteger, SAFE_INTEGER_BYTES } from './digits.ts';

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
