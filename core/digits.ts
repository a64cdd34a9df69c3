/**
 * Decimal digits of a safe integer written straight into a byte buffer, as `String(n)` would write
 * them: the gateway writes a timestamp or two per point into its records and its point digests, and
 * a string per number was measurable there.
 */

/** The most bytes putSafeInteger writes: a sign and sixteen digits. */
export const SAFE_INTEGER_BYTES = 17;

/** Writes `value` (a safe integer) at `at`; returns the position after it. The caller makes room. */
export function putSafeInteger(bytes: Uint8Array, at: number, value: number): number {
  let n = value;
  let start = at;
  if (n < 0) {
    bytes[start++] = 45; // '-'
    n = -n;
  }
  // In int32 arithmetic: the low eight digits, and the rest (below 2^53 / 1e8 < 2^27) before them.
  const high = Math.floor(n / 1e8);
  const low = n - high * 1e8;
  if (high === 0) return putDigits(bytes, start, low, 0);
  return putDigits(bytes, putDigits(bytes, start, high, 0), low, 8);
}

/** An int32 `value` ≥ 0 in decimal, left-padded with zeros to `width` digits. */
function putDigits(bytes: Uint8Array, at: number, value: number, width: number): number {
  let v = value | 0;
  let count = 1;
  for (let rest = (v / 10) | 0; rest > 0; rest = (rest / 10) | 0) count++;
  if (count < width) count = width;
  const end = at + count;
  for (let i = end - 1; i >= at; i--) {
    const next = (v / 10) | 0;
    bytes[i] = 48 + v - next * 10;
    v = next;
  }
  return end;
}

/**
 * Writes safe integers as putSafeInteger does, copying the digits of the last value when it comes
 * again: the points of one message share their source and received times.
 */
export class RepeatedInteger {
  private last = Number.NaN;
  private readonly digits = new Uint8Array(SAFE_INTEGER_BYTES);
  private length = 0;

  /** Writes `value` (a safe integer) at `at`; returns the position after it. The caller makes room. */
  put(bytes: Uint8Array, at: number, value: number): number {
    if (value !== this.last) {
      this.length = putSafeInteger(this.digits, 0, value);
      this.last = value;
    }
    const { digits, length } = this;
    for (let i = 0; i < length; i++) bytes[at + i] = digits[i] as number;
    return at + length;
  }
}
