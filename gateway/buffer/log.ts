/**
 * The durable log: every sample the gateway accepts is appended here before any sink sees it, and
 * is deleted only after every sink acknowledged it. Segment files of checksummed records, a
 * persisted read position per sink, bounds in bytes and age with a chosen policy when full, and
 * every dropped sample counted. See gateway/buffer/README.md for the guarantees of each setting.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ByteWriter } from '../../core/bytes.ts';
import type { Logger } from '../../core/log.ts';
import { DEFAULT_MIN_FREE, DiskSpace, type MinFree, type ReadDisk } from './disk.ts';
import { ReaderPosition } from './position.ts';
import {
  encodeHeader,
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  type PayloadFormat,
  payloadFormat,
  type RecordMeta,
} from './record.ts';
import { Segment, scanSegment, writeFileAtomic, writeFully } from './segment.ts';

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; intervalMs: number } | { mode: 'never' };
export type FullPolicy = 'drop-oldest' | 'refuse-new';
/** full: over maxBytes; disk: the filesystem's free space down to minFree; age: over maxAge; refused: refuse-new. */
export type DropReason = 'full' | 'disk' | 'age' | 'refused';

/** Bytes of a record on disk; an empty append is no record. */
const recordBytes = (p: { payload: Uint8Array }) =>
  p.payload.length > 0 ? HEADER_BYTES + p.payload.length : 0;
const batchBytes = (batch: readonly { payload: Uint8Array }[]) =>
  batch.reduce((sum, p) => sum + recordBytes(p), 0);

/** Bytes of records written at once: a larger chunk (up to a segment) is written in pieces. */
const WRITE_PIECE_BYTES = 1024 * 1024;

/** Reader positions are saved at most this long after they moved (ms). */
const POSITION_SAVE_MS = 1000;

/**
 * Payload bytes of the newest records kept in memory as written (LogOptions.tailBytes): a reader
 * that keeps up (a sink forwarding live data) is served from them, without reading back what was
 * just written.
 */
export const TAIL_BYTES = 4 * 1024 * 1024;

/** The smallest segment a small disk gets, however little room there is. */
const MIN_SEGMENT_BYTES = 64 * 1024;

export interface LogOptions {
  dir: string;
  /** Total bytes on disk the log may use. */
  maxBytes: number;
  /** Records older than this are dropped (ms); 0 = no age bound. */
  maxAgeMs: number;
  /** Size at which a new segment file is started; drops happen a segment at a time. */
  segmentBytes: number;
  /** Free space the log leaves on its filesystem (default: 5%, at most 256 MiB). */
  minFree?: MinFree;
  fsync: FsyncPolicy;
  whenFull: FullPolicy;
  log: Logger;
  now?: () => number;
  /** Reads the filesystem's free space (tests give a smaller disk than the machine's). */
  readDisk?: ReadDisk;
  /** Payload bytes of the newest records kept in memory for readers (default TAIL_BYTES; 0: none). */
  tailBytes?: number;
  /** Called for every drop, with the samples lost for the reader most behind. */
  onDrop?: (reason: DropReason, samples: number) => void;
  /** Called before acknowledged segments are deleted (to persist state that those records carried). */
  beforeRelease?: () => Promise<void>;
}

/**
 * Seals writes: before each write, `seal` sees the notes of the records about to be written (what
 * their appends carried, in order) and may return one more record to write after them. `written`
 * then says whether that write reached the disk (under the fsync policy) or was taken back, so a
 * seal covers exactly the records that are in the buffer. Writes never overlap.
 */
export interface Sealer {
  /**
   * The most bytes a seal of these notes would take, 0 when none would be made (room is made for
   * it). `now`: the buffer is nearly full and can only free space a sealed segment at a time, so a
   * seal is wanted with this write.
   */
  sizeOf(notes: readonly unknown[], now: boolean): number;
  seal(notes: readonly unknown[], now: boolean): Uint8Array | undefined;
  written(ok: boolean): void;
}

export interface LogRecord {
  seq: number;
  count: number;
  time: number;
  /** How the payload is written: line protocol, or the JSON of buffers from before version 2. */
  format: PayloadFormat;
  payload: Buffer;
}

export interface LogStats {
  firstSeq: number;
  nextSeq: number;
  records: number;
  samples: number;
  bytes: number;
  segments: number;
  oldestTime: number | undefined;
  dropped: Record<DropReason, number>;
  corrupt: { tails: number; bytes: number; discarded: number };
  /** Bytes the log may hold now: maxBytes, or less when the disk's free space is the bound. */
  capacity: number;
}

export class BufferFullError extends Error {
  override readonly name = 'BufferFullError';
  readonly code = 'SHUGAI_BUFFER_FULL';
}

interface Pending {
  payload: Uint8Array;
  count: number;
  note: unknown;
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
}

export class DurableLog {
  private readonly segments: Segment[] = [];
  private readonly positions = new Map<string, ReaderPosition>();
  private readonly pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  private nextSeq = 0;
  private readonly now: () => number;
  private dropEpisode: { reason: DropReason; samples: number; since: number } | undefined;
  readonly dropped: Record<DropReason, number> = { full: 0, disk: 0, age: 0, refused: 0 };
  /** Corrupt tails found on start: cut off, kept in corrupt/ unless the disk had no room (discarded). */
  readonly corrupt = { tails: 0, bytes: 0, discarded: 0 };
  private closed = false;
  /** Serialises everything that touches segment files: writes, rotation, drops, releases, reads. */
  private lock: Promise<unknown> = Promise.resolve();
  private readonly disk: DiskSpace;
  /** segmentBytes, made smaller when the disk holds only a few segments' worth. */
  private segmentBytes: number;
  private capacity: number;
  /** Readers whose position changed since it was last saved. */
  private readonly unsaved = new Set<string>();
  /** Readers whose last save failed (disk full), logged once until a save works again. */
  private readonly failedSaves = new Set<string>();
  private positionTimer: NodeJS.Timeout | undefined;
  /**
   * A write's headers and payloads, one after the other: kept from write to write (writes are
   * serialised), since a fresh buffer per write cost more in page faults than the copy itself.
   */
  private readonly writing = new ByteWriter();
  /** The newest records written (consecutive, at most TAIL_BYTES of payload), oldest first. */
  private tail: LogRecord[] = [];
  private tailBytes = 0;
  /** Adds a record to writes that need one (an attestation of what the buffer holds). */
  sealer: Sealer | undefined;
  /**
   * Records below this are covered by a seal. With a sealer, no record is freed or dropped before it
   * is: its points would be gone from the buffer before being attested. What the log holds at open
   * counts as sealed (the gateway seals what its last run left before any sink reads).
   */
  private sealedUpTo = 0;

  private constructor(private readonly options: LogOptions) {
    this.now = options.now ?? Date.now;
    this.disk = new DiskSpace(options.dir, options.minFree ?? DEFAULT_MIN_FREE, options.readDisk, this.now);
    this.segmentBytes = options.segmentBytes;
    this.capacity = options.maxBytes;
  }

  /** Opens (creating or recovering) the log in options.dir. */
  static async open(options: LogOptions): Promise<DurableLog> {
    const log = new DurableLog(options);
    await log.recover();
    return log;
  }

  private get segmentDir(): string {
    return path.join(this.options.dir, 'segments');
  }

  private get positionDir(): string {
    return path.join(this.options.dir, 'positions');
  }

  private async recover(): Promise<void> {
    await mkdir(this.segmentDir, { recursive: true });
    await mkdir(this.positionDir, { recursive: true });
    const files = (await readdir(this.segmentDir)).filter((f) => f.endsWith('.seg')).sort();
    for (const file of files) {
      const { segment, corruptBytes, corruptReason, keptAs } = await scanSegment(
        path.join(this.segmentDir, file),
        path.join(this.options.dir, 'corrupt'),
      );
      if (corruptBytes > 0) {
        // Samples inside torn bytes cannot be counted (their header may be the torn part): count
        // the tails and bytes cut off, which stay in corrupt/ for inspection when there was room.
        this.options.log.warn(
          {
            segment: file,
            bytes: corruptBytes,
            reason: corruptReason,
            keptAs: keptAs ?? 'not kept: disk full',
          },
          'buffer: corrupt tail set aside',
        );
        this.corrupt.tails += 1;
        this.corrupt.bytes += corruptBytes;
        if (keptAs === undefined) this.corrupt.discarded += corruptBytes;
      }
      this.segments.push(segment);
    }
    for (let i = 1; i < this.segments.length; i++) {
      const previous = this.segments[i - 1] as Segment;
      const current = this.segments[i] as Segment;
      if (current.firstSeq !== previous.endSeq) {
        this.options.log.warn(
          { from: previous.endSeq, to: current.firstSeq },
          'buffer: records missing between segments',
        );
      }
    }
    this.nextSeq = this.segments.at(-1)?.endSeq ?? 0;
    this.sealedUpTo = this.nextSeq;
    const firstSeq = this.firstSeq;
    for (const file of await readdir(this.positionDir)) {
      if (!file.endsWith('.json')) continue;
      const name = file.slice(0, -'.json'.length);
      const position = ReaderPosition.parse(await readFile(path.join(this.positionDir, file), 'utf8'));
      position.advanceTo(firstSeq);
      if (position.next > this.nextSeq) position.next = this.nextSeq;
      this.positions.set(name, position);
    }
    if (this.segments.length === 0) await this.startSegment(this.nextSeq);
    await this.segments.at(-1)?.openForAppend();
    await this.checkDisk();
  }

  /**
   * At start: how much the disk lets the log hold. Segments shrink when the disk holds only a few
   * of them, so that drop-oldest drops an eighth of the buffer at a time, not all of it.
   */
  private async checkDisk(): Promise<void> {
    const reading = await this.disk.refresh();
    const reserve = this.disk.reserve(reading.size);
    this.capacity = Math.min(this.options.maxBytes, this.totalBytes + reading.free - reserve);
    this.segmentBytes = Math.min(
      this.options.segmentBytes,
      Math.max(MIN_SEGMENT_BYTES, Math.floor(this.capacity / 8)),
    );
    if (this.capacity < this.options.maxBytes)
      this.options.log.warn(
        {
          capacity: Math.max(0, this.capacity),
          maxBytes: this.options.maxBytes,
          free: reading.free,
          minFree: reserve,
          segmentBytes: this.segmentBytes,
        },
        'buffer: the disk holds less than maxBytes; its free space (less minFree) is the bound',
      );
  }

  get firstSeq(): number {
    return this.segments[0]?.firstSeq ?? this.nextSeq;
  }

  private get totalBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /**
   * Appends one record of `count` samples. Resolves with its sequence number once the record is
   * durable under the fsync policy. Appends arriving together share one write and one fsync.
   */
  append(payload: Uint8Array, count: number, note?: unknown): Promise<number> {
    if (this.closed) return Promise.reject(new Error('buffer is closed'));
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return Promise.reject(new Error(`record of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, count, note, resolve, reject });
      this.flushing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.pending.length);
        try {
          await this.exclusive(() => this.writeBatch(batch));
        } catch (error) {
          for (const item of batch) item.reject(error as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Writes a batch of appends, a segment's worth per write, so that drops stay a segment at a time
   * however much piled up meanwhile. An append with an empty payload is no record: only a note for
   * the sealer (a request to seal now); it resolves with the sequence number written last.
   */
  private async writeBatch(batch: Pending[]): Promise<void> {
    const seal =
      this.sealer?.sizeOf(
        batch.map((p) => p.note),
        this.tight(batchBytes(batch)),
      ) ?? 0;
    const accepted = await this.makeRoom(batch, batchBytes(batch) + seal);
    let chunk: Pending[] = [];
    let bytes = 0;
    for (const item of accepted) {
      if (chunk.length > 0 && bytes + recordBytes(item) > this.segmentBytes) {
        await this.writeChunk(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(item);
      bytes += recordBytes(item);
    }
    if (chunk.length > 0) await this.writeChunk(chunk);
  }

  /**
   * One write: the chunk's records and, when the sealer says so, its seal after them. A segment is
   * only closed right after a seal, so a segment's points and the seals covering them stay together:
   * dropping a segment drops both, and the next attestation explains the gap in the chain.
   */
  private async writeChunk(chunk: Pending[]): Promise<void> {
    const seal = this.sealer?.seal(
      chunk.map((p) => p.note),
      this.tight(batchBytes(chunk)),
    );
    const records: { payload: Uint8Array; count: number }[] = chunk.filter((p) => p.payload.length > 0);
    if (seal) records.push({ payload: seal, count: 0 });
    let seqs: number[] | undefined;
    try {
      seqs = [];
      if (records.length > 0) {
        let segment = this.segments.at(-1) as Segment;
        const bytes = batchBytes(records);
        if (segment.size > 0 && segment.size + bytes > this.segmentBytes && this.sealedEnd(segment))
          segment = await this.rotate();
        seqs = await this.writeToSegment(segment, records);
        if (seal) this.sealedUpTo = (seqs.at(-1) as number) + 1;
      }
    } catch (error) {
      seqs = undefined;
      throw error;
    } finally {
      // Before the appends resolve: their callers see the sealer's state after this write.
      this.sealer?.written(seqs !== undefined);
    }
    let r = 0;
    for (const item of chunk) {
      if (item.payload.length > 0) r++;
      item.resolve(r > 0 ? (seqs[r - 1] as number) : this.nextSeq - 1);
    }
  }

  /**
   * Whether the buffer, with `incoming` bytes more, passes three quarters of what it may hold: then
   * every write is sealed, so the segment it ends in can be closed and dropped when room is needed.
   */
  private tight(incoming: number): boolean {
    return (this.totalBytes + incoming) * 4 > this.capacity * 3;
  }

  /** Whether a segment ends with a seal (or nothing needs sealing): the only place it may be closed. */
  private sealedEnd(segment: Segment): boolean {
    return segment.endSeq <= this.sealedLimit;
  }

  /** One write (and sync) of records at the end of a segment; their sequence numbers. */
  private async writeToSegment(
    segment: Segment,
    records: { payload: Uint8Array; count: number }[],
  ): Promise<number[]> {
    const time = this.now();
    const writing = this.writing;
    const metas = records.map((record) => {
      const meta = { seq: this.nextSeq, count: record.count, time };
      this.nextSeq += 1;
      return meta;
    });
    await segment.openForAppend();
    try {
      // Records are copied into one buffer and written a piece at a time (writev with two buffers a
      // record cost more than the copy). A whole chunk in one buffer grew it to the size of a
      // segment when writes queued up behind a sync, and it was allocated anew each time.
      for (const [i, record] of records.entries()) {
        if (writing.length > 0 && writing.length + recordBytes(record) > WRITE_PIECE_BYTES) {
          await writeFully(segment.handle!, writing.bytes.subarray(0, writing.length));
          writing.clear();
        }
        writing.raw(encodeHeader(metas[i] as RecordMeta, record.payload));
        writing.raw(record.payload);
      }
      await writeFully(segment.handle!, writing.bytes.subarray(0, writing.length));
      // A full disk may only show at the sync (delayed allocation): that write failed too.
      await this.syncPerPolicy(segment);
    } catch (error) {
      await this.undoWrite(segment, metas.length);
      throw error;
    } finally {
      writing.clear();
    }
    let offset = segment.size;
    metas.forEach((meta, i) => {
      const payload = (records[i] as { payload: Uint8Array }).payload;
      segment.index(meta, offset);
      offset += HEADER_BYTES + payload.length;
      // A small payload may be a view into Node's shared 8 KB buffer pool: kept as it is, it would
      // keep the whole slab alive, so the tail keeps its own copy.
      const own = payload.byteLength === payload.buffer.byteLength ? payload : new Uint8Array(payload);
      this.keepInTail({
        ...meta,
        format: 'lines',
        payload: Buffer.from(own.buffer, own.byteOffset, own.length),
      });
    });
    this.disk.wrote(offset - segment.size);
    segment.size = offset;
    return metas.map((m) => m.seq);
  }

  /**
   * Takes a failed write back: nothing of it may stay, since a partial record would cut off every
   * later one at the next start, and its sequence numbers are given back so the log has no hole.
   * A segment that cannot be cut back is closed; the next write starts a new one.
   */
  private async undoWrite(segment: Segment, records: number): Promise<void> {
    this.nextSeq -= records;
    this.disk.invalidate();
    try {
      await segment.handle!.truncate(segment.size);
    } catch (error) {
      this.options.log.error(
        { segment: path.basename(segment.file), err: (error as Error).message },
        'buffer: could not cut a failed write off the segment; starting it anew',
      );
      if (segment.records > 0) await this.rotate().catch(() => undefined);
      else {
        await segment.close().catch(() => undefined);
        await rm(segment.file, { force: true });
      }
    }
  }

  private async syncPerPolicy(segment: Segment): Promise<void> {
    const policy = this.options.fsync;
    if (policy.mode === 'always') {
      await segment.handle!.datasync();
    } else if (policy.mode === 'interval') {
      this.dirty = true;
      this.syncTimer ??= setTimeout(() => {
        this.syncTimer = undefined;
        void this.syncNow();
      }, policy.intervalMs);
    }
  }

  private async syncNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.segments
      .at(-1)
      ?.handle?.datasync()
      .catch((error: Error) => {
        this.options.log.error({ err: error.message }, 'buffer: fsync failed');
      });
  }

  /**
   * Applies the age bound, then the byte bound (maxBytes, or the disk's free space less minFree when
   * that is smaller) with the chosen policy; returns what may be written.
   */
  /** `incoming`: the batch's bytes, and room for a seal beside them. */
  private async makeRoom(batch: Pending[], incoming: number): Promise<Pending[]> {
    await this.dropExpired();
    const held = this.totalBytes;
    // What the log holds plus what the disk still offers: dropping a segment frees what it held.
    const onDisk = held + (await this.disk.headroom());
    this.capacity = Math.min(this.options.maxBytes, onDisk);
    if (held + incoming <= this.capacity) return batch;
    const reason: DropReason = onDisk < this.options.maxBytes ? 'disk' : 'full';
    if (this.options.whenFull === 'refuse-new') {
      this.refuse(batch, 'refused', `buffer full (${this.capacity} bytes): new samples refused`);
      return [];
    }
    // A batch larger than maxBytes alone is still written. One larger than the disk offers with the
    // buffer emptied cannot be: its newest records are kept, as many as fit, the older ones dropped.
    if (reason === 'disk' && incoming > this.capacity) {
      let room = this.capacity - (incoming - batchBytes(batch));
      let keep = batch.length;
      while (keep > 0 && room >= recordBytes(batch[keep - 1] as Pending))
        room -= recordBytes(batch[--keep] as Pending);
      const refused = batch.slice(0, keep);
      batch = batch.slice(keep);
      incoming -= batchBytes(refused);
      if (refused.length > 0)
        this.refuse(refused, 'disk', `disk full: ${Math.max(0, this.capacity)} bytes left for the buffer`);
      if (batch.length === 0) return [];
    }
    while (this.totalBytes + incoming > this.capacity && this.segments.length > 0) {
      // Points not sealed yet (the newest second or so) are not dropped unattested.
      if (!this.sealedEnd(this.segments[0] as Segment)) break;
      if (this.segments.length === 1) {
        const only = this.segments[0] as Segment;
        if (only.size === 0) break;
        await this.rotate();
      }
      await this.dropOldestSegment(reason);
    }
    return batch;
  }

  private refuse(batch: Pending[], reason: DropReason, message: string): void {
    this.noteDrop(
      reason,
      batch.reduce((sum, p) => sum + p.count, 0),
    );
    for (const item of batch) item.reject(new BufferFullError(message));
  }

  /** The first sequence number not covered by a seal; no limit without a sealer. */
  private get sealedLimit(): number {
    return this.sealer ? this.sealedUpTo : Number.POSITIVE_INFINITY;
  }

  private async dropExpired(): Promise<void> {
    if (this.options.maxAgeMs <= 0) return;
    const cutoff = this.now() - this.options.maxAgeMs;
    while (
      this.segments.length > 1 &&
      ((this.segments[0] as Segment).lastTime ?? Number.POSITIVE_INFINITY) < cutoff &&
      (this.segments[0] as Segment).endSeq <= this.sealedLimit
    ) {
      await this.dropOldestSegment('age');
    }
  }

  private async dropOldestSegment(reason: DropReason): Promise<void> {
    const oldest = this.segments.shift() as Segment;
    // Count the samples not yet delivered to every reader: those are the ones lost.
    let lost = 0;
    for (let i = 0; i < oldest.records; i++) {
      const seq = oldest.seqs[i] as number;
      const everywhere = this.positions.size > 0 && [...this.positions.values()].every((p) => p.isAcked(seq));
      if (!everywhere) lost += oldest.counts[i] as number;
    }
    await oldest.close();
    await rm(oldest.file, { force: true });
    this.disk.wrote(-oldest.size);
    for (const [name, position] of this.positions) {
      if (position.next < oldest.endSeq) {
        position.advanceTo(oldest.endSeq);
        await this.savePosition(name);
      }
    }
    if (lost > 0) this.noteDrop(reason, lost);
  }

  private noteDrop(reason: DropReason, samples: number): void {
    this.dropped[reason] += samples;
    this.options.onDrop?.(reason, samples);
    const now = this.now();
    if (this.dropEpisode && this.dropEpisode.reason === reason) {
      this.dropEpisode.samples += samples;
      return;
    }
    this.endDropEpisode();
    this.dropEpisode = { reason, samples, since: now };
    this.options.log.warn({ reason, samples }, `buffer: dropping samples (${reason})`);
  }

  /** Logs the summary of a drop episode once the buffer has room again. */
  private endDropEpisode(): void {
    if (!this.dropEpisode) return;
    const { reason, samples, since } = this.dropEpisode;
    this.options.log.warn({ reason, samples, durationMs: this.now() - since }, 'buffer: drop episode ended');
    this.dropEpisode = undefined;
  }

  private async rotate(): Promise<Segment> {
    await this.segments.at(-1)?.handle?.datasync();
    await this.segments.at(-1)?.close();
    return this.startSegment(this.nextSeq);
  }

  private async startSegment(firstSeq: number): Promise<Segment> {
    const segment = new Segment(path.join(this.segmentDir, Segment.fileName(firstSeq)), firstSeq);
    const handle = await open(segment.file, 'a');
    segment.handle = handle;
    this.segments.push(segment);
    return segment;
  }

  /** Declares a reader (a sink); a new reader starts at the oldest record still held. */
  async addReader(name: string): Promise<void> {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid reader name "${name}"`);
    if (this.positions.has(name)) return;
    this.positions.set(name, new ReaderPosition(this.firstSeq));
    await this.savePosition(name);
  }

  /** A reader's position: everything below `next`, and the ranges above it, are acknowledged. */
  readerPosition(reader: string): Readonly<ReaderPosition> {
    const position = this.positions.get(reader);
    if (!position) throw new Error(`unknown buffer reader "${reader}"`);
    return position;
  }

  /** Reads up to `maxRecords` records for `reader` starting at `from` (default: its position). */
  read(reader: string, maxRecords: number, from?: number): Promise<LogRecord[]> {
    return this.readFrom(from ?? this.position(reader), maxRecords);
  }

  /**
   * Reads up to `maxRecords` records from sequence number `from` on, whoever has acknowledged them,
   * and no more records than hold `maxSamples` samples (at least one): only what a batch takes is read.
   * The records are consecutive (a reader acknowledges a batch as the range from its first to its last).
   */
  readFrom(from: number, maxRecords: number, maxSamples = Number.POSITIVE_INFINITY): Promise<LogRecord[]> {
    return this.exclusive(() => this.readLocked(from, maxRecords, maxSamples));
  }

  private async readLocked(from: number, maxRecords: number, maxSamples: number): Promise<LogRecord[]> {
    const start = Math.max(from, this.firstSeq);
    const kept = this.readTail(start, maxRecords, maxSamples);
    if (kept) return kept;
    const out: LogRecord[] = [];
    let samples = 0;
    for (const segment of this.segments) {
      if (segment.endSeq <= start || out.length >= maxRecords || samples >= maxSamples) continue;
      let i = segment.locate(start);
      if (i >= segment.records) continue;
      let take = 0;
      while (
        i + take < segment.records &&
        out.length + take < maxRecords &&
        (out.length + take === 0 || samples + (segment.counts[i + take] as number) <= maxSamples)
      )
        samples += segment.counts[i + take++] as number;
      if (take === 0) break;
      const begin = segment.offsets[i] as number;
      const end = i + take < segment.records ? (segment.offsets[i + take] as number) : segment.size;
      const bytes = await segment.read(begin, end);
      for (let n = 0; n < take; n++, i++) {
        const at = (segment.offsets[i] as number) - begin;
        const length = bytes.readUInt32LE(at + 4);
        out.push({
          seq: segment.seqs[i] as number,
          count: segment.counts[i] as number,
          time: segment.times[i] as number,
          format: payloadFormat(bytes, at) as PayloadFormat,
          payload: bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length),
        });
      }
      // A record this read stopped before ends it, whatever the next segment holds: what is read is
      // consecutive, so a reader acknowledging its first to its last record skips nothing unsent.
      if (i < segment.records) break;
    }
    return out;
  }

  /** A record just written, kept for readers that keep up; the oldest go past tailBytes. */
  private keepInTail(record: LogRecord): void {
    this.tail.push(record);
    this.tailBytes += record.payload.length;
    const limit = this.options.tailBytes ?? TAIL_BYTES;
    this.trimTail(() => this.tailBytes > limit);
  }

  /** Forgets the tail's oldest records while `drop` says so. */
  private trimTail(drop: (oldest: LogRecord) => boolean): void {
    let n = 0;
    while (n < this.tail.length && drop(this.tail[n] as LogRecord))
      this.tailBytes -= (this.tail[n++] as LogRecord).payload.length;
    if (n > 0) this.tail.splice(0, n);
  }

  /**
   * What readLocked would read from `start`, when it is all in the tail (undefined when not): the
   * same records, sliced by the same bounds, without a read of the disk.
   */
  private readTail(start: number, maxRecords: number, maxSamples: number): LogRecord[] | undefined {
    const first = this.tail[0];
    if (!first || start < first.seq) return undefined;
    const out: LogRecord[] = [];
    let samples = 0;
    for (let i = start - first.seq; i < this.tail.length && out.length < maxRecords; i++) {
      const record = this.tail[i] as LogRecord;
      if (out.length > 0 && samples + record.count > maxSamples) break;
      samples += record.count;
      out.push(record);
    }
    return out;
  }

  /** The next sequence number `reader` has not acknowledged. */
  position(reader: string): number {
    return this.readerPosition(reader).next;
  }

  /**
   * Marks records [from, to) delivered for `reader`, frees what every reader has, then saves the
   * position within POSITION_SAVE_MS (one file write and sync a second, not one a batch). Freeing
   * comes first: on a full disk the position file can only be written once space is free. A
   * position lost in a crash only means records are sent again (the same points).
   */
  async ack(reader: string, from: number, to: number): Promise<void> {
    const position = this.positions.get(reader);
    if (!position) throw new Error(`unknown buffer reader "${reader}"`);
    if (!position.ack(from, Math.min(to, this.nextSeq))) return;
    await this.exclusive(() => this.release());
    this.unsaved.add(reader);
    this.positionTimer ??= setTimeout(() => {
      this.positionTimer = undefined;
      void this.saveUnsaved();
    }, POSITION_SAVE_MS);
  }

  private async saveUnsaved(): Promise<void> {
    for (const reader of [...this.unsaved]) await this.savePosition(reader);
  }

  /**
   * Writes a reader's position file. A failure (a full disk) is logged once and the position kept
   * in memory; it is written again with the next acknowledgement, or at close.
   */
  private async savePosition(reader: string): Promise<void> {
    const position = this.positions.get(reader) as ReaderPosition;
    this.unsaved.delete(reader);
    try {
      await writeFileAtomic(path.join(this.positionDir, `${reader}.json`), position.serialize());
    } catch (error) {
      if (!this.failedSaves.has(reader))
        this.options.log.error(
          { reader, err: (error as Error).message },
          'buffer: could not save a reader position; kept in memory, saved again later',
        );
      this.failedSaves.add(reader);
      this.unsaved.add(reader);
      return;
    }
    if (this.failedSaves.delete(reader))
      this.options.log.info({ reader }, 'buffer: reader position saved again');
  }

  /** The newest record the log holds, if any. */
  async lastRecord(): Promise<LogRecord | undefined> {
    const segment = [...this.segments].reverse().find((s) => s.records > 0);
    if (!segment) return undefined;
    const seq = segment.seqs.at(-1) as number;
    const [record] = await this.exclusive(async () => {
      const bytes = await segment.read(segment.offsets.at(-1) as number, segment.size);
      return [
        {
          seq,
          count: segment.counts.at(-1) as number,
          time: segment.times.at(-1) as number,
          format: payloadFormat(bytes, 0) as PayloadFormat,
          payload: bytes.subarray(HEADER_BYTES),
        },
      ];
    });
    return record;
  }

  /** When the record `seq` was appended, if the log still holds it. */
  recordTime(seq: number): number | undefined {
    const segment = this.segments.find((s) => seq >= s.firstSeq && seq < s.endSeq);
    return segment?.times[segment.locate(seq)];
  }

  /**
   * Records and samples held that the position has not acknowledged. Records count the seals too (an
   * attestation record holds no machine sample: a sink of attestations waits for records).
   */
  backlog(position: Readonly<ReaderPosition>): { samples: number; records: number } {
    let samples = 0;
    let records = 0;
    const gaps: [number, number][] = [];
    let from = position.next;
    for (const [a, b] of position.ranges) {
      gaps.push([from, a]);
      from = b;
    }
    gaps.push([from, this.nextSeq]);
    for (const segment of this.segments) {
      for (const [a, b] of gaps)
        if (b > segment.firstSeq && a < segment.endSeq) {
          samples += segment.samplesBetween(a, b);
          records += segment.locate(b) - segment.locate(a);
        }
    }
    return { samples, records };
  }

  /** The first sequence number of a record appended at or after `time` (nextSeq when none). */
  firstSeqSince(time: number): number {
    for (const segment of this.segments) {
      if ((segment.lastTime ?? Number.NEGATIVE_INFINITY) < time) continue;
      const i = segment.times.findIndex((t) => t >= time);
      if (i >= 0) return segment.seqs[i] as number;
    }
    return this.nextSeq;
  }

  /**
   * Deletes segments every reader has fully acknowledged; a fully acknowledged active one is rotated
   * first. When `beforeRelease` fails (it saves what the newest record carries, on a full disk it
   * may not), the segment holding the newest record is kept, so nothing it carries is lost.
   */
  private async release(): Promise<void> {
    const acknowledged = Math.min(...[...this.positions.values()].map((p) => p.next));
    // Every reader has these: none reads them again.
    this.trimTail((oldest) => oldest.seq < acknowledged);
    const min = Math.min(this.sealedLimit, acknowledged);
    let keepNewest = false;
    if ((this.segments[0] as Segment).endSeq <= min && (this.segments[0] as Segment).records > 0) {
      try {
        await this.options.beforeRelease?.();
      } catch (error) {
        keepNewest = true;
        this.options.log.error(
          { err: (error as Error).message },
          'buffer: saving state before freeing records failed; the newest record is kept',
        );
      }
    }
    const newest = this.segments.findLast((s) => s.records > 0);
    const active = this.segments.at(-1) as Segment;
    if (!keepNewest && active.records > 0 && active.endSeq <= min) await this.rotate();
    while (this.segments.length > 1 && (this.segments[0] as Segment).endSeq <= min) {
      if (keepNewest && this.segments[0] === newest) break;
      const done = this.segments.shift() as Segment;
      await done.close();
      await rm(done.file, { force: true });
      this.disk.wrote(-done.size);
    }
    if (this.totalBytes < this.capacity) this.endDropEpisode();
  }

  stats(): LogStats {
    let samples = 0;
    let records = 0;
    for (const s of this.segments) {
      samples += s.samples;
      records += s.records;
    }
    return {
      firstSeq: this.firstSeq,
      nextSeq: this.nextSeq,
      records,
      samples,
      bytes: this.totalBytes,
      segments: this.segments.length,
      oldestTime: this.segments.find((s) => s.records > 0)?.times[0],
      dropped: { ...this.dropped },
      corrupt: { ...this.corrupt },
      capacity: Math.max(0, this.capacity),
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Writes what is pending, fsyncs, and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushing;
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    await this.exclusive(async () => {
      this.dirty = true;
      await this.syncNow();
      this.endDropEpisode();
      for (const segment of this.segments) await segment.close();
    });
    clearTimeout(this.positionTimer);
    this.positionTimer = undefined;
    await this.saveUnsaved();
  }
}
