/**
 * SHA-256 (FIPS 180-4) computed in JavaScript, for the gateway's per-point digests where the native
 * one is not built (digest-batch.ts): of a string's UTF-8 bytes, or of bytes written into a ByteWriter. The digest is the standard
 * one (sha256.test.ts holds it equal to node:crypto's for every length across the block boundaries
 * and for non-ASCII text): attestations and verifiers are unchanged. Why not node:crypto: a
 * canonical point is ~60 bytes, and one `crypto.hash` call costs ~3 µs there, nearly all of it the
 * fixed cost of the call into C++ and of the Buffer it returns; the same digest here takes about a
 * third of that, and nothing is allocated per point.
 */

import { ByteWriter } from '../../core/bytes.ts';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** The digest of the last call, as eight big-endian 32-bit words. */
const state = new Int32Array(8);
/** The message schedule of a block, all 64 words (computed before the rounds: faster than a ring). */
const w = new Int32Array(64);

/**
 * SHA-256 of what `message` holds (its first `length` bytes), as eight big-endian 32-bit words:
 * word 0 holds the digest's first four bytes. The padding is written after the message, in the
 * writer's free bytes. The array is shared and overwritten by the next call: read it before hashing
 * again. A caller that knows its bytes (canonical.ts pointMessage) writes them without a string.
 */
export function sha256Of(message: ByteWriter): Int32Array {
  const n = message.length;
  // 72 = the 0x80 byte, the length and a block's slack.
  message.room(72);
  const m = message.bytes;
  const end = ((n + 72) >>> 6) << 6;
  m[n] = 0x80;
  m.fill(0, n + 1, end - 8);
  // The length in bits, big-endian in 64 bits (a message here is far below 2^29 bytes).
  const bits = n * 8;
  m[end - 8] = 0;
  m[end - 7] = 0;
  m[end - 6] = 0;
  m[end - 5] = 0;
  m[end - 4] = bits >>> 24;
  m[end - 3] = bits >>> 16;
  m[end - 2] = bits >>> 8;
  m[end - 1] = bits;
  state.set(IV);
  for (let at = 0; at < end; at += 64) compress(m, at);
  return state;
}

const scratch = new ByteWriter(256);

/** SHA-256 of `text` encoded as UTF-8 (sha256Of). */
export function sha256Words(text: string): Int32Array {
  scratch.clear();
  scratch.text(text);
  return sha256Of(scratch);
}

function compress(m: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + 4 * i;
    w[i] =
      ((m[j] as number) << 24) |
      ((m[j + 1] as number) << 16) |
      ((m[j + 2] as number) << 8) |
      (m[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const w15 = w[i - 15] as number;
    const w2 = w[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + sum1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
    const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (sum0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}
