/**
 * Point digests hashed a record at a time. Ingest writes each point's canonical message into
 * `messages` (canonical.ts pointMessage) and names the sum its digest belongs to; `finish()` hashes them all
 * in one call into Node's own OpenSSL (native/sha256-batch.c, built by bin/build.mjs), which uses the
 * CPU's SHA instructions: ~0.1 µs a point against ~0.45 µs for the JavaScript SHA-256 (sha256.ts),
 * the largest single cost of attesting. Where the addon is not built (no compiler on the box, or
 * SHUGAI_NATIVE_DIGESTS=0), each digest is computed in JavaScript at once: the same digests.
 */
import { createRequire } from 'node:module';
import { ByteWriter } from '../../core/bytes.ts';
import type { MultisetHash } from './canonical.ts';
import { sha256Of } from './sha256.ts';

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
/** Points a batch has room for at first. */
const INITIAL_POINTS = 1024;

export class DigestBatch {
  /** The points' canonical messages, one after the other (canonical.ts pointMessage writes them). */
  readonly messages = new ByteWriter();
  private ends = new Uint32Array(INITIAL_POINTS);
  private out = new Uint8Array(INITIAL_POINTS * DIGEST_BYTES);
  private targets: MultisetHash[] = [];
  private count = 0;

  constructor(private readonly native: NativeDigests | undefined = nativeDigests) {}

  /**
   * The point last written into `messages` is one more of `target`'s: its digest is added at once
   * without the addon, at `finish()` with it.
   */
  add(target: MultisetHash): void {
    if (!this.native) {
      target.addWords(sha256Of(this.messages));
      this.messages.clear();
      return;
    }
    if (this.count === this.ends.length) {
      const ends = new Uint32Array(2 * this.count);
      ends.set(this.ends);
      this.ends = ends;
      this.out = new Uint8Array(2 * this.count * DIGEST_BYTES);
    }
    this.ends[this.count] = this.messages.length;
    this.targets.push(target);
    this.count++;
  }

  /** Hashes what was added since the last call and adds each digest to its sum. */
  finish(): void {
    const { native, count } = this;
    if (!native || count === 0) return;
    native.digests(this.messages.bytes, this.ends, count, this.out);
    for (let i = 0; i < count; i++) (this.targets[i] as MultisetHash).add(this.out, i * DIGEST_BYTES);
    this.targets.length = 0;
    this.count = 0;
    this.messages.clear();
  }
}
