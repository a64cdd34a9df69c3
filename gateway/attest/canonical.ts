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
import { ByteWriter } from '../../core/bytes.ts';
import { type DecimalText, RepeatedInteger } from '../../core/digits.ts';
import { type DataType, nonFiniteText, type Quality, type SampleValue } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { sha256Of } from './sha256.ts';

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
/** Where pointWords writes a point to hash it. */
const scratch = new ByteWriter(256);
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/**
 * The SHA-256 of a canonical point whose head bytes (canonicalHead, as UTF-8) are known, as words
 * (sha256.ts). The same digest as pointDigest (a test holds them equal).
 */
export function pointWords(...point: PointParts): Int32Array {
  scratch.clear();
  pointMessage(scratch, ...point);
  return sha256Of(scratch);
}

/** A point's parts as pointMessage takes them after its writer. */
type PointParts = Parameters<typeof pointMessage> extends [ByteWriter, ...infer Parts] ? Parts : never;

/**
 * Writes a canonical point after what `out` holds: its bytes go straight there, no text is built
 * per point on the gateway's path. `float`: the value's text (`String()`) when the caller made it
 * already (a finite number).
 */
export function pointMessage(
  out: ByteWriter,
  head: Uint8Array,
  type: DataType,
  value: SampleValue,
  sourceTime: number,
  quality: Quality,
  statusCode: number,
  float?: DecimalText,
): void {
  out.raw(head);
  // Math.trunc(-0.5) is -0, which JSON writes as 0.
  out.json(Math.trunc(sourceTime), times);
  out.raw(COMMA_BYTE);
  if (float !== undefined) out.decimal(float);
  else if (type === 'number' || type === 'integer') {
    const n = Number(value);
    const text = nonFiniteText(n);
    if (text === undefined) out.json(n);
    else out.text(`"${text}"`);
  } else if (type === 'boolean') out.raw(value === true ? TRUE : FALSE);
  else out.text(JSON.stringify(String(value)));
  if (statusCode === 0) {
    out.raw(STATUS_0_ENDS[quality]);
    return;
  }
  out.raw(QUALITY_BYTES[quality]);
  out.json(statusCode);
  out.raw(CLOSE);
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

  /** Back to the empty sum. */
  clear(): this {
    this.words.fill(0);
    return this;
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
