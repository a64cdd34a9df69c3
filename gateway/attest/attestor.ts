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
  /** The drops the newest attestation reported. */
  private attestedDrops = 0;

  constructor(
    private readonly identity: Identity,
    private readonly gatewayId: string,
    private readonly chainFile: string,
    private readonly now: () => number = Date.now,
  ) {
    const saved = readSaved(chainFile);
    this.head = saved.head;
    this.dropped = saved.dropped;
    this.attestedDrops = saved.attestedDrops ?? 0;
  }

  /**
   * Moves the head forward to an attestation found in the buffer (newer than the saved head). Drop
   * counters only grow: the saved ones may include drops noted after that attestation was made.
   */
  resumeFrom(last: Attestation, stamp: number): void {
    if (last.seq < this.head.seq) return;
    this.head = { seq: last.seq, hash: attestationHash(last), stamp };
    for (const reason of ['full', 'age', 'refused'] as const)
      this.dropped[reason] = Math.max(this.dropped[reason], last.dropped[reason]);
    this.attestedDrops = last.dropped.full + last.dropped.age + last.dropped.refused;
  }

  /** Counts drops so the next attestation explains the sequence numbers a verifier will miss. */
  noteDropped(reason: keyof Attestation['dropped'], samples: number): void {
    this.dropped[reason] += samples;
  }

  /** Whether drops were noted since the last attestation (which then has yet to tell a verifier). */
  get unattestedDrops(): boolean {
    return this.dropped.full + this.dropped.age + this.dropped.refused > this.attestedDrops;
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
    this.attestedDrops = this.dropped.full + this.dropped.age + this.dropped.refused;
    // Two attestations must never share a store timestamp (one would overwrite the other).
    const stamp = Math.max(time, this.head.stamp + 1);
    this.head = { seq: attestation.seq, hash: attestationHash(attestation), stamp };
    return attestationSample(attestation, stamp);
  }

  async save(): Promise<void> {
    await writeFileAtomic(
      this.chainFile,
      JSON.stringify({ ...this.head, dropped: this.dropped, attestedDrops: this.attestedDrops }),
    );
  }
}

interface Saved {
  head: ChainHead;
  dropped: Attestation['dropped'];
  attestedDrops?: number;
}

function readSaved(file: string): Saved {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as ChainHead & Omit<Saved, 'head'>;
    return {
      head: { seq: stored.seq, hash: stored.hash, stamp: stored.stamp },
      dropped: stored.dropped,
      ...(stored.attestedDrops === undefined ? {} : { attestedDrops: stored.attestedDrops }),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the attestation chain head ${file}: ${(error as Error).message}`);
    return { head: { seq: 0, hash: GENESIS, stamp: 0 }, dropped: { full: 0, age: 0, refused: 0 } };
  }
}
