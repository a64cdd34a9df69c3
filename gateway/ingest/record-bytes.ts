/**
 * A turn's record written as UTF-8 while its lines are added, into one growing buffer kept from
 * record to record: no string of thousands of lines to flatten and encode at the end (that was
 * 7–11 % of the gateway's busy time in profiles). Text is mostly ASCII and copied a char at a time; anything
 * else goes through Buffer's UTF-8 encoder, so the bytes are exactly those of `Buffer.from(text)`.
 */

import { type DecimalText, putSafeInteger, RepeatedInteger, SAFE_INTEGER_BYTES } from '../../core/digits.ts';

/** What the buffer starts with, and what it is cut back to after a record far larger than usual. */
const INITIAL_BYTES = 64 * 1024;
const KEPT_BYTES = 4 * 1024 * 1024;

export class RecordBytes {
  private bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  /** Bytes written so far. */
  length = 0;
  /** The digits of the last source and received times written, which a message's points share. */
  readonly sourceTimes = new RepeatedInteger();
  readonly receivedTimes = new RepeatedInteger();

  /** Text as UTF-8 (a lone surrogate as U+FFFD, as Buffer.from writes it). */
  text(text: string): void {
    const n = text.length;
    this.room(n);
    const bytes = this.bytes;
    const start = this.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        this.room(3 * n); // UTF-8 takes at most 3 bytes per UTF-16 unit
        this.length = start + this.bytes.write(text, start, 'utf8');
        return;
      }
      bytes[start + i] = c;
    }
    this.length = start + n;
  }

  /** A number's text as DecimalText holds it. */
  decimal(text: DecimalText): void {
    const n = text.length;
    this.room(n);
    const { bytes, length } = this;
    for (let i = 0; i < n; i++) bytes[length + i] = text.bytes[i] as number;
    this.length = length + n;
  }

  /** Bytes encoded once before (a series' fixed parts). */
  raw(encoded: Uint8Array): void {
    this.room(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  /**
   * `Math.trunc(value)` as a template literal writes it, digits straight into the buffer; through
   * `repeated` when the same value is likely to come again (a message's times).
   */
  integer(value: number, repeated?: RepeatedInteger): void {
    const n = Math.trunc(value);
    if (!Number.isSafeInteger(n)) {
      this.text(String(n)); // NaN, ±Infinity, exponent notation
      return;
    }
    this.room(SAFE_INTEGER_BYTES);
    this.length = repeated
      ? repeated.put(this.bytes, this.length, n)
      : putSafeInteger(this.bytes, this.length, n);
  }

  /** The record so far as its own buffer; this one starts over. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.bytes.copy(out, 0, 0, this.length);
    this.length = 0;
    if (this.bytes.length > KEPT_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
    return out;
  }

  private room(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}
