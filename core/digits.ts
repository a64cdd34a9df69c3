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

/** 10^k for k ≤ 15, each exact as a double. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * The text `String(x)` gives a finite number, as ASCII bytes (valid until the next `set`). A value
 * with at most 15 significant digits and no exponent (sensor readings such as 23.47) is written
 * from its digits, without a string and ~3× faster than String(); any other is copied from String().
 *
 * Why the digits are String()'s: m / 10^k is the double nearest to the decimal m·10^-k (both are
 * exact doubles and IEEE division rounds once), so the first k with m / 10^k === |x| gives the
 * fewest decimals that read back as x; decimals of at most 15 significant digits read back as
 * distinct doubles, so no other of that length does, and String() writes the shortest that does.
 * It writes them positionally for 1e-6 ≤ |x| < 1e21, as here. digits.test.ts compares the two.
 */
export class DecimalText {
  readonly bytes = new Uint8Array(32);
  length = 0;

  set(x: number): void {
    const a = Math.abs(x);
    if (a >= 1e-6 && a < 1e15) {
      for (let k = 0; k < POW10.length; k++) {
        const scale = POW10[k] as number;
        const m = Math.round(a * scale);
        if (m >= 1e15) break; // past 15 significant digits
        if (m / scale === a) {
          this.length = this.write(x < 0, m, k);
          return;
        }
      }
    } else if (a === 0) {
      this.bytes[0] = 48; // '0', for -0 too
      this.length = 1;
      return;
    }
    const text = String(x);
    for (let i = 0; i < text.length; i++) this.bytes[i] = text.charCodeAt(i);
    this.length = text.length;
  }

  /** m·10^-k with its sign: the whole part, then k decimals (leading zeros kept). */
  private write(negative: boolean, m: number, k: number): number {
    const bytes = this.bytes;
    let at = 0;
    if (negative) bytes[at++] = 45; // '-'
    const scale = POW10[k] as number;
    const whole = Math.floor(m / scale);
    at = putSafeInteger(bytes, at, whole);
    if (k === 0) return at;
    bytes[at] = 46; // '.'
    let fraction = m - whole * scale;
    for (let i = at + k; i > at; i--) {
      const next = Math.floor(fraction / 10);
      bytes[i] = 48 + fraction - next * 10;
      fraction = next;
    }
    return at + k + 1;
  }
}
