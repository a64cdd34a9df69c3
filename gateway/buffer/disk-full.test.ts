// The buffer on a disk smaller than maxBytes, on a real (tmpfs) filesystem: the disk's free space is
// a bound like maxBytes, failed writes leave nothing behind, and a full disk never stops a start.
import { appendFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import {
  fillDisk,
  mountSmallDisk,
  type SmallDisk,
  smallDisksAvailable,
} from '../../test/services/small-disk.ts';
import { BufferFullError, DurableLog, type LogOptions } from './log.ts';
import { HEADER_BYTES } from './record.ts';

const MiB = 1024 ** 2;
const RECORD = 8 * 1024; // payload bytes of one test record

let disk: SmallDisk;
beforeEach(async () => {
  if (smallDisksAvailable) disk = await mountSmallDisk(4 * MiB);
});
afterEach(async () => {
  await disk?.unmount();
});

function options(overrides: Partial<LogOptions> = {}): LogOptions {
  return {
    dir: path.join(disk.dir, 'buffer'),
    maxBytes: 1024 ** 3, // the default: far more than the disk
    maxAgeMs: 0,
    segmentBytes: 16 * MiB,
    minFree: { bytes: 256 * 1024 },
    fsync: { mode: 'always' },
    whenFull: 'drop-oldest',
    log: silentLogger,
    ...overrides,
  };
}

/** A record whose payload names its number, padded to RECORD bytes. */
const record = (i: number) => Buffer.from(`record-${String(i).padStart(6, '0')}`.padEnd(RECORD, '.'));
const numberOf = (payload: Buffer) => Number(payload.subarray(7, 13).toString());

/**
 * A log holding records 0–9 when a write failed: with the disk freed, the next append is number 10
 * (no hole in the sequence), and the log reopens clean with records 0–10.
 */
async function freedAndClean(log: DurableLog, filler: string): Promise<void> {
  await rm(filler);
  await rm(`${filler}.pages`);
  expect(await log.append(record(10), 1)).toBe(10);
  await log.close();
  const reopened = await DurableLog.open(options());
  expect(reopened.stats()).toMatchObject({ records: 11, corrupt: { tails: 0, bytes: 0, discarded: 0 } });
  const records = await reopened.read('s', 100);
  expect(records.map((r) => numberOf(r.payload))).toEqual(Array.from({ length: 11 }, (_, i) => i));
  await reopened.close();
}

describe.skipIf(!smallDisksAvailable)('durable log on a disk smaller than maxBytes', () => {
  it('keeps within the free space, dropping the oldest records, each sample counted with the reason', async () => {
    const drops: [string, number][] = [];
    const log = await DurableLog.open(options({ onDrop: (reason, n) => drops.push([reason, n]) }));
    await log.addReader('influx');
    // 4 MiB less 256 KiB reserved: about 460 records of 8 KiB fit; 1,000 are appended.
    expect(log.stats().capacity).toBe(4 * MiB - 256 * 1024);
    for (let i = 0; i < 1000; i++) await log.append(record(i), 3);
    const after = log.stats();
    const held = after.records;
    // Nothing failed to write: every sample is held or counted as dropped for the disk.
    expect(after.dropped).toEqual({ full: 0, disk: 3 * (1000 - held), age: 0, refused: 0 });
    expect(drops.every(([reason]) => reason === 'disk')).toBe(true);
    expect(held).toBeGreaterThan(300);
    // The newest are kept, the oldest dropped.
    const records = await log.read('influx', 2000);
    expect(records.map((r) => numberOf(r.payload))).toEqual(
      Array.from({ length: held }, (_, i) => 1000 - held + i),
    );
    // The reserve stays free.
    const { free } = await import('./disk.ts').then((m) => m.readDisk(disk.dir));
    expect(free).toBeGreaterThanOrEqual(256 * 1024);
    await log.close();
  });

  it('shrinks segments on a small disk, so a drop frees an eighth of the buffer, not all of it', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    for (let i = 0; i < 1000; i++) await log.append(record(i), 1);
    expect(log.stats().segments).toBeGreaterThanOrEqual(8);
    await log.close();
  });

  it('takes a write back when the disk is fuller than it looked: nothing torn is left, the next start is clean', async () => {
    // The free space is read at most once a second; another program fills the disk in between.
    const log = await DurableLog.open(options({ minFree: { bytes: 0 } }));
    await log.addReader('s');
    for (let i = 0; i < 10; i++) await log.append(record(i), 1);
    const filler = fillDisk(disk.dir);
    const big = Buffer.alloc(64 * 1024, 'x');
    const failed = log.append(big, 9);
    await expect(failed).rejects.toThrow(/ENOSPC|disk full/);
    await freedAndClean(log, filler);
  });

  it('takes back a write that fails after its first pieces: none of its records stays', async () => {
    // A disk large enough for segments to hold the chunk below (a small disk gets small segments).
    await disk.unmount();
    disk = await mountSmallDisk(64 * MiB);
    const log = await DurableLog.open(options({ minFree: { bytes: 0 } }));
    await log.addReader('s');
    for (let i = 0; i < 10; i++) await log.append(record(i), 1);
    const filler = fillDisk(disk.dir);
    // Room for the first piece (one of the records below) and not for the second.
    await truncate(filler, (await stat(filler)).size - 700 * 1024);
    const big = (i: number) => Buffer.alloc(600 * 1024, 97 + i);
    // Appended at once, they are one chunk (1.8 MB), written a piece (a record) at a time: the first
    // piece is on disk when the second finds the disk full.
    const outcomes = await Promise.allSettled([0, 1, 2].map((i) => log.append(big(i), 1)));
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.value))).toEqual(
      Array(3).fill(expect.stringMatching(/ENOSPC/)),
    );
    await freedAndClean(log, filler);
  });

  it('refuses a batch the disk cannot hold even empty, counted as dropped for the disk', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    const huge = Buffer.alloc(5 * MiB, 'x');
    await expect(log.append(huge, 42)).rejects.toBeInstanceOf(BufferFullError);
    expect(log.stats().dropped.disk).toBe(42);
    await log.close();
  });

  it('frees acknowledged segments before saving positions, so acknowledging works on a full disk', async () => {
    const log = await DurableLog.open(options({ segmentBytes: 64 * 1024 }));
    await log.addReader('s');
    for (let i = 0; i < 40; i++) await log.append(record(i), 1);
    fillDisk(disk.dir);
    await log.ack('s', 0, 40);
    expect(log.stats()).toMatchObject({ firstSeq: 40, records: 0 });
    await log.close();
    // The position reached the disk once space was free.
    const reopened = await DurableLog.open(options());
    expect(reopened.position('s')).toBe(40);
    await reopened.close();
  });

  it('keeps the newest record when saving state before a release fails, and frees the rest', async () => {
    let saves = 0;
    const log = await DurableLog.open(
      options({
        segmentBytes: 64 * 1024,
        beforeRelease: async () => {
          saves++;
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        },
      }),
    );
    await log.addReader('s');
    for (let i = 0; i < 40; i++) await log.append(record(i), 1);
    await log.ack('s', 0, 40);
    expect(saves).toBe(1);
    const newest = await log.lastRecord();
    expect(newest && numberOf(newest.payload)).toBe(39);
    expect(log.stats().segments).toBe(1);
    await log.close();
  });

  it('starts on a full disk with a torn tail: the tail is cut off and counted, not kept', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    for (let i = 0; i < 5; i++) await log.append(record(i), 1);
    await log.close();
    const segments = path.join(disk.dir, 'buffer', 'segments');
    const [segment] = await readdir(segments);
    const file = path.join(segments, segment!);
    const good = (await stat(file)).size;
    await appendFile(file, Buffer.alloc(HEADER_BYTES + 100, 7)); // a torn write
    fillDisk(disk.dir);

    const reopened = await DurableLog.open(options());
    expect(reopened.stats().corrupt).toEqual({
      tails: 1,
      bytes: HEADER_BYTES + 100,
      discarded: HEADER_BYTES + 100,
    });
    expect((await stat(file)).size).toBe(good);
    expect((await reopened.read('s', 10)).map((r) => numberOf(r.payload))).toEqual([0, 1, 2, 3, 4]);
    // Full disk: new samples are refused and counted, not written half; the held ones stay.
    await expect(reopened.append(record(5), 2)).rejects.toBeInstanceOf(BufferFullError);
    expect(reopened.stats()).toMatchObject({ records: 5, dropped: { disk: 2 } });
    await reopened.close();
  });

  it('reports a segment shorter than its index as an error, never decoding garbage', async () => {
    // Reads from the disk: nothing kept in memory.
    const log = await DurableLog.open(options({ tailBytes: 0 }));
    await log.addReader('s');
    for (let i = 0; i < 3; i++) await log.append(record(i), 1);
    const [segment] = await readdir(path.join(disk.dir, 'buffer', 'segments'));
    await truncate(path.join(disk.dir, 'buffer', 'segments', segment!), HEADER_BYTES + RECORD + 10);
    await expect(log.read('s', 10)).rejects.toThrow(/short read/);
    await log.close();
  });
});
