/**
 * What an attestation commits to, and how a verifier recomputes it from a store.
 *
 * A point is canonically `[device, tag, type, sourceTime, value, quality, statusCode]` as JSON. A
 * device's share of a batch is summarised by a multiset hash: the sum, modulo 2^256, of the SHA-256
 * of each canonical point. Sums add up across batches in any order, so a verifier can compare the
 * attested points of a device over a time span with the points a store holds there, without knowing
 * which batch each point came from.
 */
import { createHash } from 'node:crypto';
import type { StoredSample } from '../sinks/sink.ts';

const MOD = 1n << 256n;

export function canonicalPoint(s: StoredSample): string {
  const value =
    s.type === 'number' || s.type === 'integer'
      ? Number(s.value)
      : s.type === 'boolean'
        ? s.value === true
        : String(s.value);
  return JSON.stringify([s.device, s.tag, s.type, Math.trunc(s.sourceTime), value, s.quality, s.statusCode]);
}

export function pointHash(s: StoredSample): bigint {
  return BigInt(`0x${createHash('sha256').update(canonicalPoint(s)).digest('hex')}`);
}

export function addHashes(a: bigint, b: bigint): bigint {
  return (a + b) % MOD;
}

export function hashHex(h: bigint): string {
  return h.toString(16).padStart(64, '0');
}

export function parseHashHex(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

/** JSON with object keys sorted, so a signature does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
