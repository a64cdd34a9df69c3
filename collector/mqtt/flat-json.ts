/**
 * The numbers of a flat JSON object (`{"t0": 20.1, "t1": 20.2, "ts": 1764796400000}`) read straight
 * from the payload's bytes, without JSON.parse's string, object and numbers: ~40 % of decoding a
 * ten-value message went to JSON.parse and the garbage it leaves. Only a strict subset of JSON is
 * read here: one object of ASCII keys without escapes whose values are all numbers. Anything else
 * (a nested value, a string, an escape, invalid JSON) is refused, and the decoder parses that
 * payload with JSON.parse as before, which also words the errors. What is read equals what
 * JSON.parse gives (flat-json.test.ts compares the two): a duplicate key's last value, and each
 * number the double nearest its decimal.
 */

/** 10^k for k ≤ 22, each exact as a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits past which m no longer fits a double exactly (2^53 has 16). */
const MAX_DIGITS = 15;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= ZERO && c <= 0x39;

export class FlatNumbers {
  private readonly keys: Uint8Array[];
  /** The value of each key in the last payload read; meaningful where `found` is 1. */
  private readonly values: Float64Array;
  private readonly found: Uint8Array;
  /** The number read last by number(). */
  private parsed = 0;

  /** `keys`: the names whose values are wanted, in the order they are asked for (slots 0, 1, …). */
  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => Buffer.from(k, 'latin1'));
    this.values = new Float64Array(keys.length);
    this.found = new Uint8Array(keys.length);
  }

  /** The value of key slot `slot` in the payload last read, undefined when it had none. */
  value(slot: number): number | undefined {
    return this.found[slot] === 1 ? this.values[slot] : undefined;
  }

  /** Reads a payload; false when it is not a flat object of numbers (then parse it as JSON). */
  read(bytes: Uint8Array): boolean {
    this.found.fill(0);
    const n = bytes.length;
    let i = skipSpace(bytes, 0);
    if (bytes[i] !== OPEN) return false;
    i = skipSpace(bytes, i + 1);
    if (bytes[i] === CLOSE) return skipSpace(bytes, i + 1) === n;
    // The slot after the last key found: keys mostly come in the order they were named.
    let next = 0;
    for (;;) {
      if (bytes[i] !== QUOTE) return false;
      const keyStart = i + 1;
      let keyEnd = keyStart;
      for (; keyEnd < n; keyEnd++) {
        const c = bytes[keyEnd] as number;
        if (c === QUOTE) break;
        if (c === BACKSLASH || c < 0x20 || c >= 0x80) return false;
      }
      if (keyEnd >= n) return false;
      i = skipSpace(bytes, keyEnd + 1);
      if (bytes[i] !== COLON) return false;
      i = skipSpace(bytes, i + 1);
      const numberEnd = this.number(bytes, i);
      if (numberEnd < 0) return false;
      const slot = this.slotOf(bytes, keyStart, keyEnd, next);
      if (slot >= 0) {
        this.values[slot] = this.parsed;
        this.found[slot] = 1;
        next = slot + 1;
      }
      i = skipSpace(bytes, numberEnd);
      if (bytes[i] === COMMA) {
        i = skipSpace(bytes, i + 1);
        continue;
      }
      if (bytes[i] !== CLOSE) return false;
      return skipSpace(bytes, i + 1) === n;
    }
  }

  /**
   * Reads a JSON number at `start` into `parsed`; its end, or -1 when there is none. Up to 15
   * digits and no exponent it is m / 10^k (both exact doubles, one rounding: the double nearest
   * the decimal, as JSON.parse gives); otherwise JavaScript reads its text.
   */
  private number(bytes: Uint8Array, start: number): number {
    let i = start;
    const negative = bytes[i] === MINUS;
    if (negative) i++;
    const first = bytes[i];
    if (first === undefined || !isDigit(first)) return -1;
    let m = 0;
    let digits = 0;
    let scale = 0;
    if (first === ZERO) i++;
    else
      for (; i < bytes.length && isDigit(bytes[i] as number); i++) {
        m = m * 10 + ((bytes[i] as number) - ZERO);
        digits++;
      }
    if (bytes[i] === DOT) {
      i++;
      const fractionStart = i;
      for (; i < bytes.length && isDigit(bytes[i] as number); i++) {
        m = m * 10 + ((bytes[i] as number) - ZERO);
        if (m > 0) digits++;
        scale++;
      }
      if (i === fractionStart) return -1;
    }
    let exponent = false;
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      exponent = true;
      i++;
      if (bytes[i] === PLUS || bytes[i] === MINUS) i++;
      const exponentStart = i;
      while (i < bytes.length && isDigit(bytes[i] as number)) i++;
      if (i === exponentStart) return -1;
    }
    if (exponent || digits > MAX_DIGITS || scale >= POW10.length)
      this.parsed = Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('latin1'));
    else {
      const value = m / (POW10[scale] as number);
      this.parsed = negative ? -value : value;
    }
    return i;
  }

  /** The slot of the key in bytes[start, end), trying `from` first; -1 for a key not wanted. */
  private slotOf(bytes: Uint8Array, start: number, end: number, from: number): number {
    const count = this.keys.length;
    for (let tried = 0; tried < count; tried++) {
      const slot = (from + tried) % count;
      const key = this.keys[slot] as Uint8Array;
      if (key.length !== end - start) continue;
      let same = true;
      for (let j = 0; j < key.length; j++)
        if (key[j] !== bytes[start + j]) {
          same = false;
          break;
        }
      if (same) return slot;
    }
    return -1;
  }
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  return i;
}
