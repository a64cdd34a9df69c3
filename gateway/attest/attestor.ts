/**
 * The signing side: keeps the head of the chain, attests each batch the ingest appends, and
 * persists the head so a restart continues the chain instead of forking it.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../buffer/segment.ts';
import type { StoredSample } from '../sinks/sink.ts';
import {
  type Attestation,
  attestationHash,
  attestationSample,
  deviceShares,
  GENESIS,
  signAttestation,
} from './attestation.ts';
import type { Identity } from './identity.ts';

export interface ChainHead {
  seq: number;
  hash: string;
  /** Store timestamp of the last attestation sample. */
  stamp: number;
}

export class Attestor {
  private head: ChainHead;
  private dropped = { full: 0, age: 0, refused: 0 };

  constructor(
    private readonly identity: Identity,
    private readonly gatewayId: string,
    private readonly chainFile: string,
    private readonly now: () => number = Date.now,
  ) {
    const saved = readSaved(chainFile);
    this.head = saved.head;
    this.dropped = saved.dropped;
  }

  /** Moves the head forward to an attestation found in the buffer (newer than the saved head). */
  resumeFrom(last: Attestation, stamp: number): void {
    if (last.seq < this.head.seq) return;
    this.head = { seq: last.seq, hash: attestationHash(last), stamp };
    this.dropped = { ...last.dropped };
  }

  /** Counts drops so the next attestation explains the sequence numbers a verifier will miss. */
  noteDropped(reason: keyof Attestation['dropped'], samples: number): void {
    this.dropped[reason] += samples;
  }

  /** Signs a batch and returns the sample that carries the attestation. */
  attest(samples: readonly StoredSample[]): StoredSample {
    const time = this.now();
    const attestation = signAttestation(
      {
        v: 1,
        gateway: this.gatewayId,
        seq: this.head.seq + 1,
        prev: this.head.hash,
        time,
        devices: deviceShares(samples),
        dropped: { ...this.dropped },
      },
      this.identity.privateKey,
    );
    // Two attestations must never share a store timestamp (one would overwrite the other).
    const stamp = Math.max(time, this.head.stamp + 1);
    this.head = { seq: attestation.seq, hash: attestationHash(attestation), stamp };
    return attestationSample(attestation, stamp);
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.chainFile, JSON.stringify({ ...this.head, dropped: this.dropped }));
  }
}

function readSaved(file: string): { head: ChainHead; dropped: Attestation['dropped'] } {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as ChainHead & { dropped: Attestation['dropped'] };
    return { head: { seq: stored.seq, hash: stored.hash, stamp: stored.stamp }, dropped: stored.dropped };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the attestation chain head ${file}: ${(error as Error).message}`);
    return { head: { seq: 0, hash: GENESIS, stamp: 0 }, dropped: { full: 0, age: 0, refused: 0 } };
  }
}
