/**
 * The durable log: every sample the gateway accepts is appended here before any sink sees it, and
 * is deleted only after every sink acknowledged it. Segment files of checksummed records, a
 * persisted read position per sink, bounds in bytes and age with a chosen policy when full, and
 * every dropped sample counted. See gateway/buffer/README.md for the guarantees of each setting.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../core/log.ts';
import { DEFAULT_MIN_FREE, DiskSpace, type MinFree, type ReadDisk } from './disk.ts';
import { ReaderPosition } from './position.ts';
import { encodeHeader, HEADER_BYTES, MAX_PAYLOAD_BYTES } from './record.ts';
import { readFully, Segment, scanSegment, writeFileAtomic, writeFully } from './segment.ts';

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; intervalMs: number } | { mode: 'never' };
export type FullPolicy = 'drop-oldest' | 'refuse-new';
/** full: over maxBytes; disk: the filesystem's free space down to minFree; age: over maxAge; refused: refuse-new. */
export type DropReason = 'full' | 'disk' | 'age' | 'refused';

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
  /** Called for every drop, with the samples lost for the reader most behind. */
  onDrop?: (reason: DropReason, samples: number) => void;
  /** Called before acknowledged segments are deleted (to persist state that those records carried). */
  beforeRelease?: () => Promise<void>;
}

export interface LogRecord {
  seq: number;
  count: number;
  time: number;
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
  /** Readers whose position could not be saved (disk full): saved again at the next chance. */
  private readonly unsaved = new Set<string>();

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
  append(payload: Uint8Array, count: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('buffer is closed'));
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return Promise.reject(new Error(`record of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, count, resolve, reject });
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

  private async writeBatch(batch: Pending[]): Promise<void> {
    const incoming = batch.reduce((sum, p) => sum + HEADER_BYTES + p.payload.length, 0);
    const accepted = await this.makeRoom(batch, incoming);
    if (accepted.length === 0) return;
    let segment = this.segments.at(-1) as Segment;
    if (segment.size > 0 && segment.size + incoming > this.segmentBytes) segment = await this.rotate();
    const time = this.now();
    const buffers: Uint8Array[] = [];
    const metas = accepted.map((item) => {
      const meta = { seq: this.nextSeq, count: item.count, time };
      this.nextSeq += 1;
      buffers.push(encodeHeader(meta, item.payload), item.payload);
      return meta;
    });
    await segment.openForAppend();
    try {
      // One buffer, one write: writev with two buffers per record cost more than the copy.
      await writeFully(segment.handle!, Buffer.concat(buffers));
      // A full disk may only show at the sync (delayed allocation): that write failed too.
      await this.syncPerPolicy(segment);
    } catch (error) {
      await this.undoWrite(segment, metas.length);
      throw error;
    }
    this.disk.wrote(incoming);
    let offset = segment.size;
    metas.forEach((meta, i) => {
      segment.index(meta, offset);
      offset += HEADER_BYTES + (accepted[i] as Pending).payload.length;
    });
    segment.size = offset;
    metas.forEach((meta, i) => {
      (accepted[i] as Pending).resolve(meta.seq);
    });
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
    // A batch larger than maxBytes alone is still written; one larger than the disk offers with the
    // buffer emptied cannot be, and dropping older records for it would lose them for nothing.
    if (reason === 'disk' && incoming > this.capacity) {
      this.refuse(batch, 'disk', `disk full: ${Math.max(0, this.capacity)} bytes left for the buffer`);
      return [];
    }
    while (this.totalBytes + incoming > this.capacity && this.segments.length > 0) {
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

  private async dropExpired(): Promise<void> {
    if (this.options.maxAgeMs <= 0) return;
    const cutoff = this.now() - this.options.maxAgeMs;
    while (
      this.segments.length > 1 &&
      ((this.segments[0] as Segment).lastTime ?? Number.POSITIVE_INFINITY) < cutoff
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

  /** Reads up to `maxRecords` records from sequence number `from` on, whoever has acknowledged them. */
  readFrom(from: number, maxRecords: number): Promise<LogRecord[]> {
    return this.exclusive(() => this.readLocked(from, maxRecords));
  }

  private async readLocked(from: number, maxRecords: number): Promise<LogRecord[]> {
    const start = Math.max(from, this.firstSeq);
    const out: LogRecord[] = [];
    for (const segment of this.segments) {
      if (segment.endSeq <= start || out.length >= maxRecords) continue;
      let i = segment.locate(start);
      if (i >= segment.records) continue;
      const take = Math.min(segment.records - i, maxRecords - out.length);
      const begin = segment.offsets[i] as number;
      const end = i + take < segment.records ? (segment.offsets[i + take] as number) : segment.size;
      const bytes = await readSpan(segment.file, begin, end);
      for (let n = 0; n < take; n++, i++) {
        const at = (segment.offsets[i] as number) - begin;
        const length = bytes.readUInt32LE(at + 4);
        out.push({
          seq: segment.seqs[i] as number,
          count: segment.counts[i] as number,
          time: segment.times[i] as number,
          payload: bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length),
        });
      }
    }
    return out;
  }

  /** The next sequence number `reader` has not acknowledged. */
  position(reader: string): number {
    return this.readerPosition(reader).next;
  }

  /**
   * Marks records [from, to) delivered for `reader`, frees what every reader has, then saves the
   * position. Freeing comes first: on a full disk the position file can only be written once space
   * is free. A position lost in a crash only means records are sent again (the same points).
   */
  async ack(reader: string, from: number, to: number): Promise<void> {
    const position = this.positions.get(reader);
    if (!position) throw new Error(`unknown buffer reader "${reader}"`);
    if (!position.ack(from, Math.min(to, this.nextSeq))) return;
    await this.exclusive(() => this.release());
    await this.savePosition(reader);
  }

  /**
   * Writes a reader's position file. A failure (a full disk) is logged once and the position kept
   * in memory; it is written again with the next acknowledgement, or at close.
   */
  private async savePosition(reader: string): Promise<void> {
    const position = this.positions.get(reader) as ReaderPosition;
    try {
      await writeFileAtomic(path.join(this.positionDir, `${reader}.json`), position.serialize());
    } catch (error) {
      if (!this.unsaved.has(reader))
        this.options.log.error(
          { reader, err: (error as Error).message },
          'buffer: could not save a reader position; kept in memory, saved again later',
        );
      this.unsaved.add(reader);
      return;
    }
    if (this.unsaved.delete(reader)) this.options.log.info({ reader }, 'buffer: reader position saved again');
  }

  /** The newest record the log holds, if any. */
  async lastRecord(): Promise<LogRecord | undefined> {
    const segment = [...this.segments].reverse().find((s) => s.records > 0);
    if (!segment) return undefined;
    const seq = segment.seqs.at(-1) as number;
    const [record] = await this.exclusive(async () => {
      const bytes = await readSpan(segment.file, segment.offsets.at(-1) as number, segment.size);
      return [
        {
          seq,
          count: segment.counts.at(-1) as number,
          time: segment.times.at(-1) as number,
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

  /** Samples held in records the position has not acknowledged. */
  samplesAfter(position: Readonly<ReaderPosition>): number {
    let unacked = 0;
    const gaps: [number, number][] = [];
    let from = position.next;
    for (const [a, b] of position.ranges) {
      gaps.push([from, a]);
      from = b;
    }
    gaps.push([from, this.nextSeq]);
    for (const segment of this.segments) {
      for (const [a, b] of gaps)
        if (b > segment.firstSeq && a < segment.endSeq) unacked += segment.samplesBetween(a, b);
    }
    return unacked;
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
    const min = Math.min(...[...this.positions.values()].map((p) => p.next));
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
    for (const reader of [...this.unsaved]) await this.savePosition(reader);
  }
}

/** Bytes [from, to) of a file. */
async function readSpan(file: string, from: number, to: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(to - from);
  const handle = await open(file, 'r');
  try {
    await readFully(handle, bytes, from);
  } finally {
    await handle.close();
  }
  return bytes;
}
