/**
 * The disk under the buffer as a bound, beside `maxBytes`: the log never uses the last `minFree` of
 * its filesystem, so the files that must still be written when the disk is full (reader positions,
 * the attestation chain head, counter totals) find room, and space is freed by dropping the oldest
 * records before a write would fail, not after.
 */
import { statfs } from 'node:fs/promises';

/** `minFree` as configured: bytes, a share of the filesystem's size, or the smaller of both. */
export interface MinFree {
  bytes?: number;
  percent?: number;
}

/** 5% of the filesystem, at most 256 MiB: room for the small files, not a tenth of a big disk. */
export const DEFAULT_MIN_FREE: MinFree = { percent: 5, bytes: 256 * 1024 ** 2 };

export interface DiskReading {
  /** Bytes the gateway's user may still write (statfs bavail × bsize). */
  free: number;
  /** The filesystem's size. */
  size: number;
}

export type ReadDisk = (dir: string) => Promise<DiskReading>;

export const readDisk: ReadDisk = async (dir) => {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
};

/** How often free space is read again while writing (ms); sooner after large writes. */
const RECHECK_MS = 1000;

export class DiskSpace {
  private reading: DiskReading | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private writtenSince = 0;

  constructor(
    private readonly dir: string,
    private readonly minFree: MinFree,
    private readonly read: ReadDisk = readDisk,
    private readonly now: () => number = Date.now,
  ) {}

  /** The reserve in bytes on this filesystem. */
  reserve(size: number): number {
    const { bytes = Number.POSITIVE_INFINITY, percent } = this.minFree;
    return Math.min(bytes, percent === undefined ? bytes : Math.ceil((size * percent) / 100));
  }

  /**
   * Bytes the log may still add beyond what it holds now. Read from the filesystem at most once a
   * second, or again once half of the last headroom has been written.
   */
  async headroom(): Promise<number> {
    const last = this.reading;
    const stale =
      last === undefined ||
      this.now() - this.readAt >= RECHECK_MS ||
      this.writtenSince * 2 >= last.free - this.reserve(last.size);
    if (stale) await this.refresh();
    const reading = this.reading as DiskReading;
    return reading.free - this.writtenSince - this.reserve(reading.size);
  }

  async refresh(): Promise<DiskReading> {
    this.reading = await this.read(this.dir);
    this.readAt = this.now();
    this.writtenSince = 0;
    return this.reading;
  }

  /** Notes bytes written (positive) or freed (negative) since the last reading. */
  wrote(bytes: number): void {
    this.writtenSince += bytes;
  }

  /** Forces the next headroom() to read the filesystem (after a failed write, say). */
  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }
}
