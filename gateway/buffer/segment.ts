import { type FileHandle, mkdir, open, readFile, rename, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { decodeRecord, type RecordMeta } from './record.ts';

/** One segment file of the log and the in-memory index of its records. */
export class Segment {
  readonly seqs: number[] = [];
  readonly offsets: number[] = [];
  readonly counts: number[] = [];
  readonly times: number[] = [];
  /** prefix[i] = samples in records 0..i-1, for O(log n) counts of any range. */
  readonly prefix: number[] = [0];
  size = 0;
  samples = 0;
  handle: FileHandle | undefined;
  /** Kept open for the forwarders' reads: an open and a close per batch read cost 3 % of ingest. */
  private reader: FileHandle | undefined;

  constructor(
    readonly file: string,
    readonly firstSeq: number,
  ) {}

  static fileName(firstSeq: number): string {
    return `${String(firstSeq).padStart(20, '0')}.seg`;
  }

  get records(): number {
    return this.seqs.length;
  }

  /** The sequence number after this segment's last record. */
  get endSeq(): number {
    const last = this.seqs.at(-1);
    return last === undefined ? this.firstSeq : last + 1;
  }

  get lastTime(): number | undefined {
    return this.times.at(-1);
  }

  index(meta: RecordMeta, offset: number): void {
    this.seqs.push(meta.seq);
    this.offsets.push(offset);
    this.counts.push(meta.count);
    this.times.push(meta.time);
    this.samples += meta.count;
    this.prefix.push(this.samples);
  }

  /** Position in this segment of the first record with seq >= `seq`. */
  locate(seq: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.seqs[mid] as number) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Samples in records with from <= seq < to. */
  samplesBetween(from: number, to: number): number {
    return (this.prefix[this.locate(to)] as number) - (this.prefix[this.locate(from)] as number);
  }

  async openForAppend(): Promise<void> {
    this.handle ??= await open(this.file, 'a');
  }

  /** Bytes [from, to) of the segment file. */
  async read(from: number, to: number): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(to - from);
    this.reader ??= await open(this.file, 'r');
    await readFully(this.reader, bytes, from);
    return bytes;
  }

  /** Closes the file for appending and reading; a later read opens it again. */
  async close(): Promise<void> {
    const handle = this.handle;
    const reader = this.reader;
    this.handle = undefined;
    this.reader = undefined;
    await handle?.close();
    await reader?.close();
  }
}

export interface ScanResult {
  segment: Segment;
  /** Bytes after the last valid record, cut off the segment. */
  corruptBytes: number;
  corruptReason?: string;
  /** Where the cut bytes were kept for inspection; absent when the disk had no room for them. */
  keptAs?: string;
}

/**
 * Reads a segment file, indexing every valid record. At the first invalid one (a torn write from a
 * power cut, a flipped bit), the rest of the file is copied into `corruptDir` for inspection (when
 * the disk has room) and the segment is truncated there, so the log stays appendable and never
 * crashes on start.
 */
export async function scanSegment(file: string, corruptDir: string): Promise<ScanResult> {
  const firstSeq = Number(path.basename(file, '.seg'));
  const segment = new Segment(file, firstSeq);
  const bytes = await readFile(file);
  let offset = 0;
  let reason: string | undefined;
  let expectedSeq = firstSeq;
  while (offset < bytes.length) {
    const result = decodeRecord(bytes, offset);
    if (!result.ok) {
      reason = result.reason;
      break;
    }
    if (result.meta.seq !== expectedSeq) {
      reason = `sequence ${result.meta.seq} where ${expectedSeq} was expected`;
      break;
    }
    segment.index(result.meta, offset);
    offset += result.size;
    expectedSeq = result.meta.seq + 1;
  }
  segment.size = offset;
  const corruptBytes = bytes.length - offset;
  let keptAs: string | undefined;
  if (corruptBytes > 0) {
    keptAs = await setAside(bytes.subarray(offset), corruptDir, path.basename(file));
    await truncate(file, offset);
  }
  return {
    segment,
    corruptBytes,
    ...(reason === undefined ? {} : { corruptReason: reason }),
    ...(keptAs === undefined ? {} : { keptAs }),
  };
}

/**
 * Copies a corrupt tail into `corruptDir` for inspection; on a full disk the copy is given up
 * (returns undefined) rather than the start: a gateway that cannot start buffers nothing at all.
 */
async function setAside(tail: Uint8Array, corruptDir: string, name: string): Promise<string | undefined> {
  const aside = path.join(corruptDir, `${name}.${Date.now()}.tail`);
  try {
    await mkdir(corruptDir, { recursive: true });
    const handle = await open(aside, 'w');
    try {
      await writeFully(handle, tail);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return aside;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    await rm(aside, { force: true });
    return undefined;
  }
}

/**
 * Writes all of `bytes` at the file's current end or `position`. A write may take fewer bytes than
 * given (a disk filling up): the rest is written by further calls, and a call that fails throws.
 */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const at = position === undefined ? null : position + done;
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, at);
    if (bytesWritten === 0) throw Object.assign(new Error('write took no bytes'), { code: 'EIO' });
    done += bytesWritten;
  }
}

/** Fills `bytes` from `position`; a file shorter than that is an error, never a buffer of garbage. */
export async function readFully(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesRead } = await handle.read(bytes, done, bytes.length - done, position + done);
    if (bytesRead === 0)
      throw new Error(`short read: ${done} of ${bytes.length} bytes at offset ${position} (file truncated?)`);
    done += bytesRead;
  }
}

let tempCounter = 0;

/**
 * Writes a small file atomically: temp file, fsync, rename. Each write has its own temp name, so
 * two writes of one file at once never rename each other's temp away; the last rename wins.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  tempCounter += 1;
  const temp = `${file}.${process.pid}.${tempCounter}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await writeFully(handle, typeof data === 'string' ? Buffer.from(data) : data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
}
