/**
 * A growing byte buffer kept from use to use, written from parts: UTF-8 text, bytes encoded once,
 * numbers digit by digit. A record's lines (gateway/ingest) and the canonical points hashed for
 * attestations (gateway/attest) are written into these straight from their parts, without a string
 * per sample (a record's lines as one string, flattened and encoded at the end, were 7–11 % of the
 * gateway's busy time). Text is mostly ASCII and copied a char at a time; anything else goes
 * through Buffer's UTF-8 encoder, so the bytes are exactly those of `Buffer.from(text)`.
 */
import { type DecimalText, putSafeInteger, type RepeatedInteger, SAFE_INTEGER_BYTES } from './digits.ts';

/** What a buffer is cut back to after holding far more than usual. */
const KEPT_BYTES = 4 * 1024 * 1024;

export class ByteWriter {
  /** The bytes; those past `length` are free (sha256.ts pads a message there). */
  bytes: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

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

  /** Bytes encoded once before (a series' fixed parts). */
  raw(encoded: Uint8Array): void {
    this.room(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  /** A number's text as DecimalText holds it (a few bytes: copied one by one, no subarray). */
  decimal(text: DecimalText): void {
    const n = text.length;
    this.room(n);
    const { bytes, length } = this;
    for (let i = 0; i < n; i++) bytes[length + i] = text.bytes[i] as number;
    this.length = length + n;
  }

  /**
   * `Math.trunc(value)` as a template literal writes it, digits straight into the buffer; through
   * `repeated` when the same value is likely to come again (a message's times).
   */
  integer(value: number, repeated?: RepeatedInteger): void {
    const n = Math.trunc(value);
    if (!Number.isSafeInteger(n))
      this.text(String(n)); // NaN, ±Infinity, exponent notation
    else this.safeInteger(n, repeated);
  }

  /** A number as JSON.stringify writes it (null for NaN and ±Infinity); a safe integer digit by digit. */
  json(value: number, repeated?: RepeatedInteger): void {
    if (!Number.isSafeInteger(value)) this.text(JSON.stringify(value));
    else this.safeInteger(value, repeated);
  }

  /** What was written, as its own buffer; this one starts over. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.bytes.copy(out, 0, 0, this.length);
    this.clear();
    return out;
  }

  /** Starts over, keeping the buffer unless it grew far past its usual size. */
  clear(): void {
    this.length = 0;
    if (this.bytes.length > KEPT_BYTES) this.bytes = Buffer.allocUnsafe(this.initialBytes);
  }

  /** Makes room for `extra` more bytes after what is written. */
  room(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  private safeInteger(n: number, repeated: RepeatedInteger | undefined): void {
    this.room(SAFE_INTEGER_BYTES);
    this.length = repeated
      ? repeated.put(this.bytes, this.length, n)
      : putSafeInteger(this.bytes, this.length, n);
  }
}
