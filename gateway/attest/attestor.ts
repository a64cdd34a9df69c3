/**
 * The signing side: sums the points ingest accepts into a slice, signs the slice when ingest closes
 * it (every few thousand points or each second: the cost of a signature no longer depends on how
 * collectors deliver), keeps the head of the chain, and persists it so a restart continues the chain
 * instead of forking it.
 */
import { readFileSync } from 'node:fs';
import type { Sealer } from '../buffer/log.ts';
import { writeFileAtomic } from '../buffer/segment.ts';
import { RECORD_MEASUREMENT } from '../ingest/series.ts';
import { toLine } from '../sinks/line-protocol.ts';
import type { StoredSample } from '../sinks/sink.ts';
import {
  ATTESTATION_DEVICE,
  type Attestation,
  attestationHash,
  attestationSample,
  GENESIS,
  ShareSums,
  signedAttestation,
} from './attestation.ts';
import { pointDigest } from './canonical.ts';
import type { Identity } from './identity.ts';

export interface ChainHead {
  seq: number;
  hash: string;
  /** Store timestamp of the last attestation sample. */
  stamp: number;
}

/** Attestation slices close at this many points, or `sliceMs` (gateway.attestEvery) after their first point. */
export const SLICE_POINTS = 5000;
export const DEFAULT_SLICE_MS = 10_000;

/** Emptied sums kept for reuse (Attestor.sums): a few writes' worth of records. */
const SPARE_SUMS = 16;

/** The note of an append that asks for the slice to be sealed now (ingest's timer, a stop). */
export const SEAL_NOW = Symbol('seal now');

export class Attestor implements Sealer {
  private head: ChainHead;
  private dropped = { full: 0, age: 0, refused: 0 };
  /** The drops the newest attestation reported. */
  private attestedDrops = 0;
  /** Points in the buffer since the newest attestation, summed per device. */
  private slice = new ShareSums();
  /** Points of the write in progress, added to the slice once it is on disk. */
  private writing = new ShareSums();
  /** Sums done with, emptied, for the next ones (sums()): their entries are reused. */
  private readonly spares: ShareSums[] = [];
  /** What a seal in the write in progress replaced, to restore if the write is taken back. */
  private sealing: { head: ChainHead; attestedDrops: number; slice: ShareSums } | undefined;
  /** When the slice's first point was seen (the gateway's clock). */
  sliceOpenedAt: number | undefined;

  constructor(
    private readonly identity: Identity,
    private readonly gatewayId: string,
    private readonly chainFile: string,
    private readonly now: () => number = Date.now,
    readonly sliceMs = DEFAULT_SLICE_MS,
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

  /** Points in the buffer not yet attested. */
  get slicePoints(): number {
    return this.slice.points;
  }

  /** Adds points already in the buffer (found there at start, after the newest attestation). */
  addStored(samples: readonly StoredSample[]): void {
    for (const s of samples) {
      if (s.device === ATTESTATION_DEVICE) continue;
      if (this.slice.points === 0) this.sliceOpenedAt = this.now();
      this.slice.add(s.device, s.sourceTime, pointDigest(s));
    }
  }

  /**
   * The buffer is about to write records whose notes are `notes` (ShareSums of their points, or
   * SEAL_NOW). When the slice is due (SLICE_POINTS points, or SLICE_MS since its first one, or asked
   * to), the attestation of the slice and these records is the record written after them.
   */
  seal(notes: readonly unknown[], now = false): Uint8Array | undefined {
    for (const note of notes)
      if (note instanceof ShareSums) {
        this.writing.merge(note);
        this.recycle(note);
      }
    const points = this.slice.points + this.writing.points;
    if (points > 0) this.sliceOpenedAt ??= this.now();
    if (!this.due(points, now || notes.includes(SEAL_NOW))) return undefined;
    this.sealing = { head: this.head, attestedDrops: this.attestedDrops, slice: this.slice };
    const sealed = this.sums().merge(this.slice).merge(this.writing);
    const sample = this.sign(sealed);
    this.recycle(sealed);
    this.slice = this.sums();
    this.writing.reset();
    return Buffer.from(`${toLine(sample, { measurement: RECORD_MEASUREMENT, gatewayId: this.gatewayId })}\n`);
  }

  /**
   * Empty sums for a record's points (ingest), the note of its append: the sums of records sealed
   * before, reused (a record's sums are done with once seal() has added them).
   */
  sums(): ShareSums {
    return this.spares.pop() ?? new ShareSums();
  }

  private recycle(sums: ShareSums): void {
    if (this.spares.length < SPARE_SUMS) this.spares.push(sums.reset());
  }

  sizeOf(notes: readonly unknown[], now = false): number {
    let points = this.slice.points + this.writing.points;
    let devices = this.slice.devices + this.writing.devices;
    for (const note of notes)
      if (note instanceof ShareSums) {
        points += note.points;
        devices += note.devices;
      }
    // An attestation line: about 450 bytes, and 160 a device share (name, times, counts, digest).
    return this.due(points, now || notes.includes(SEAL_NOW)) ? 600 + 200 * devices : 0;
  }

  /** Whether a slice of `points` is to be sealed: full, old enough, or asked to (with anything to tell). */
  private due(points: number, asked: boolean): boolean {
    if (points >= SLICE_POINTS) return true;
    if (points > 0 && this.now() - (this.sliceOpenedAt ?? this.now()) >= this.sliceMs) return true;
    return asked && (points > 0 || this.unattestedDrops);
  }

  written(ok: boolean): void {
    const sealing = this.sealing;
    this.sealing = undefined;
    if (ok) {
      if (!sealing) this.slice.merge(this.writing);
      else this.sliceOpenedAt = this.slice.points > 0 ? this.now() : undefined;
    } else if (sealing) {
      // Taken back: the chain continues from where it was, over the points that are on disk.
      this.head = sealing.head;
      this.attestedDrops = sealing.attestedDrops;
      this.slice = sealing.slice;
    }
    this.writing.reset();
    if (ok && sealing) this.recycle(sealing.slice);
    if (this.slice.points === 0) this.sliceOpenedAt = undefined;
  }

  /**
   * Signs `samples` at once, apart from any slice, and returns the sample that carries the
   * attestation (for tests and tools that build attested stores).
   */
  attest(samples: readonly StoredSample[] = []): StoredSample {
    const sums = new ShareSums();
    for (const s of samples) sums.add(s.device, s.sourceTime, pointDigest(s));
    return this.sign(sums);
  }

  private sign(sums: ShareSums): StoredSample {
    const time = this.now();
    const { attestation, hash } = signedAttestation(
      {
        v: 1,
        gateway: this.gatewayId,
        seq: this.head.seq + 1,
        prev: this.head.hash,
        time,
        devices: sums.shares(),
        dropped: { ...this.dropped },
      },
      this.identity.privateKey,
    );
    this.attestedDrops = this.dropped.full + this.dropped.age + this.dropped.refused;
    // Two attestations must never share a store timestamp (one would overwrite the other).
    const stamp = Math.max(time, this.head.stamp + 1);
    this.head = { seq: attestation.seq, hash, stamp };
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
