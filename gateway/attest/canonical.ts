/**
 * What an attestation commits to, and how a verifier recomputes it from a store.
 *
 * A point is canonically `[device, tag, type, sourceTime, value, quality, statusCode]` as JSON (a
 * non-finite number as its text, "NaN", "Infinity" or "-Infinity"). A
 * device's share of a batch is summarised by a multiset hash: the sum, modulo 2^256, of the SHA-256
 * of each canonical point. Sums add up across batches in any order, so a verifier can compare the
 * attested points of a device over a time span with the points a store holds there, without knowing
 * which batch each point came from.
 */
import { hash } from 'node:crypto';
import { type DecimalText, RepeatedInteger } from '../../core/digits.ts';
import { type DataType, nonFiniteText, type Quality, type SampleValue } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { putBytes, putNumber, putText, sha256Message } from './sha256.ts';

export function canonicalPoint(s: StoredSample): string {
  // A non-finite number is its text ("NaN", "Infinity"): JSON would make it null, like every other.
  const value =
    s.type === 'number' || s.type === 'integer'
      ? (nonFiniteText(Number(s.value)) ?? Number(s.value))
      : s.type === 'boolean'
        ? s.value === true
        : String(s.value);
  return JSON.stringify([s.device, s.tag, s.type, Math.trunc(s.sourceTime), value, s.quality, s.statusCode]);
}

/** SHA-256 of the canonical point: one element of a multiset hash. */
export function pointDigest(s: StoredSample): Buffer {
  // The one-shot form: no Hash object per point, which matters at millions of points.
  return hash('sha256', canonicalPoint(s), 'buffer');
}

/** `["device","tag","type",`: the fixed start of a series' canonical points, made once per series. */
export function canonicalHead(device: string, tag: string, type: DataType): string {
  return `${JSON.stringify([device, tag, type]).slice(0, -1)},`;
}

/** `,"good",` and the like: what follows a canonical point's value. */
const QUALITY_BYTES: Record<Quality, Uint8Array> = {
  good: Buffer.from(',"good",'),
  uncertain: Buffer.from(',"uncertain",'),
  bad: Buffer.from(',"bad",'),
};
/** `,"good",0]` and the like: the end of a point with status code 0, the usual one, in one piece. */
const STATUS_0_ENDS: Record<Quality, Uint8Array> = {
  good: Buffer.from(',"good",0]'),
  uncertain: Buffer.from(',"uncertain",0]'),
  bad: Buffer.from(',"bad",0]'),
};
const COMMA_BYTE = Buffer.from(',');
const CLOSE = Buffer.from(']');
/** The points of a message share their source time: its digits are copied, not made again. */
const times = new RepeatedInteger();
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/**
 * The SHA-256 of a canonical point whose head bytes (canonicalHead, as UTF-8) are known, as words
 * (sha256.ts). The same digest as pointDigest (a test holds them equal).
 */
export function pointWords(
  head: Uint8Array,
  type: DataType,
  value: SampleValue,
  sourceTime: number,
  quality: Quality,
  statusCode: number,
  float?: DecimalText,
): Int32Array {
  return sha256Message(pointMessage(head, type, value, sourceTime, quality, statusCode, float));
}

/**
 * Writes a canonical point into sha256.ts's message buffer and returns its length: its bytes go
 * straight there, no text is built per point on the gateway's path. `float`: the value's text
 * (`String()`) when the caller made it already (a finite number).
 */
export function pointMessage(
  head: Uint8Array,
  type: DataType,
  value: SampleValue,
  sourceTime: number,
  quality: Quality,
  statusCode: number,
  float?: DecimalText,
): number {
  let at = putBytes(0, head);
  // Math.trunc(-0.5) is -0, which JSON writes as 0, as putNumber does.
  at = putNumber(at, Math.trunc(sourceTime), times);
  at = putBytes(at, COMMA_BYTE);
  if (float !== undefined) at = putBytes(at, float.bytes, float.length);
  else if (type === 'number' || type === 'integer') {
    const n = Number(value);
    const text = nonFiniteText(n);
    at = text === undefined ? putNumber(at, n) : putText(at, `"${text}"`);
  } else if (type === 'boolean') at = putBytes(at, value === true ? TRUE : FALSE);
  else at = putText(at, JSON.stringify(String(value)));
  if (statusCode === 0) return putBytes(at, STATUS_0_ENDS[quality]);
  at = putBytes(at, QUALITY_BYTES[quality]);
  at = putNumber(at, statusCode);
  return putBytes(at, CLOSE);
}

/**
 * A 256-bit sum modulo 2^256 of digests (big-endian), kept as eight 32-bit words so a verifier can
 * add millions of points without big-integer arithmetic.
 */
export class MultisetHash {
  /** Little-endian 32-bit words. */
  private readonly words = new Uint32Array(8);

  /** Adds a 32-byte big-endian digest, the one at `offset` in `digest`. */
  add(digest: Uint8Array, offset = 0): this {
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const at = offset + 28 - 4 * i;
      const word =
        ((digest[at] as number) * 0x1000000 +
          ((digest[at + 1] as number) << 16) +
          ((digest[at + 2] as number) << 8) +
          (digest[at + 3] as number)) >>>
        0;
      const sum = (this.words[i] as number) + word + carry;
      this.words[i] = sum >>> 0;
      carry = sum > 0xffffffff ? 1 : 0;
    }
    return this;
  }

  /** Adds a digest given as eight big-endian 32-bit words (sha256.ts), word 0 the most significant. */
  addWords(digest: Int32Array): this {
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const sum = (this.words[i] as number) + ((digest[7 - i] as number) >>> 0) + carry;
      this.words[i] = sum >>> 0;
      carry = sum > 0xffffffff ? 1 : 0;
    }
    return this;
  }

  /** Adds another sum: the multiset union. */
  addSum(other: MultisetHash): this {
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const sum = (this.words[i] as number) + (other.words[i] as number) + carry;
      this.words[i] = sum >>> 0;
      carry = sum > 0xffffffff ? 1 : 0;
    }
    return this;
  }

  addHex(hex: string): this {
    return this.add(Buffer.from(hex.padStart(64, '0'), 'hex'));
  }

  equals(other: MultisetHash): boolean {
    return this.words.every((word, i) => word === other.words[i]);
  }

  hex(): string {
    let out = '';
    for (let i = 7; i >= 0; i--) out += (this.words[i] as number).toString(16).padStart(8, '0');
    return out;
  }
}

/** JSON with object keys sorted, so a signature does not depend on key order. */
export function canonicalJson(value: unknown): string {
  // Loops rather than map/filter/sort chains: a verifier canonicalises every attestation of a week.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let out = '{';
    for (const key of Object.keys(record).sort()) {
      const v = record[key];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
