/**
 * Point digests hashed a record at a time. Ingest writes each point's canonical message
 * (canonical.ts pointMessage) and names the sum its digest belongs to; `finish()` hashes them all
 * in one call into Node's own OpenSSL (native/sha256-batch.c, built by bin/build.mjs), which uses the
 * CPU's SHA instructions: ~0.1 µs a point against ~0.45 µs for the JavaScript SHA-256 (sha256.ts),
 * the largest single cost of attesting. Where the addon is not built (no compiler on the box, or
 * SHUGAI_NATIVE_DIGESTS=0), each digest is computed in JavaScript at once: the same digests.
 */
import { createRequire } from 'node:module';
import type { MultisetHash } from './canonical.ts';
import { copyMessage, sha256Message } from './sha256.ts';

interface NativeDigests {
  /** SHA-256 of messages[ends[i - 1] .. ends[i]) into out[32 i ..], for i < count. */
  digests(messages: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array): void;
}

/** The addon beside this module: copied into dist/ by the build, or where node-gyp left it. */
function loadNative(): NativeDigests | undefined {
  if (process.env.SHUGAI_NATIVE_DIGESTS === '0') return undefined;
  const require = createRequire(import.meta.url);
  for (const file of ['./native/sha256_batch.node', './native/build/Release/sha256_batch.node']) {
    try {
      return require(file) as NativeDigests;
    } catch {
      // Not built there (or built for another Node): the next place, then JavaScript.
    }
  }
  return undefined;
}

export const nativeDigests = loadNative();

/** Which SHA-256 point digests use here, for the gateway's start-up log. */
export const digestEngine = nativeDigests ? 'openssl' : 'javascript';

const DIGEST_BYTES = 32;
/** What a batch starts with, and what it is cut back to after a record far larger than usual. */
const INITIAL_POINTS = 1024;
const INITIAL_BYTES = 64 * 1024;
const KEPT_BYTES = 4 * 1024 * 1024;

export class DigestBatch {
  private bytes = new Uint8Array(INITIAL_BYTES);
  private length = 0;
  private ends = new Uint32Array(INITIAL_POINTS);
  private out = new Uint8Array(INITIAL_POINTS * DIGEST_BYTES);
  private targets: MultisetHash[] = [];
  private count = 0;

  constructor(private readonly native: NativeDigests | undefined = nativeDigests) {}

  /**
   * Adds to `target` the digest of the point message sha256.ts holds (`n` bytes, as pointMessage
   * returned): at once without the addon, at `finish()` with it.
   */
  add(target: MultisetHash, n: number): void {
    if (!this.native) {
      target.addWords(sha256Message(n));
      return;
    }
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    if (this.count === this.ends.length) {
      const ends = new Uint32Array(2 * this.count);
      ends.set(this.ends);
      this.ends = ends;
      this.out = new Uint8Array(2 * this.count * DIGEST_BYTES);
    }
    copyMessage(n, this.bytes, this.length);
    this.length += n;
    this.ends[this.count] = this.length;
    this.targets.push(target);
    this.count++;
  }

  /** Hashes what was added since the last call and adds each digest to its sum. */
  finish(): void {
    const { native, count } = this;
    if (!native || count === 0) return;
    native.digests(this.bytes, this.ends, count, this.out);
    for (let i = 0; i < count; i++) (this.targets[i] as MultisetHash).add(this.out, i * DIGEST_BYTES);
    this.targets.length = 0;
    this.count = 0;
    this.length = 0;
    if (this.bytes.length > KEPT_BYTES) this.bytes = new Uint8Array(INITIAL_BYTES);
  }
}
