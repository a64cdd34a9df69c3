import { appendFile, mkdtemp, open, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { BufferFullError, DurableLog, type LogOptions } from './log.ts';
import { HEADER_BYTES } from './record.ts';
import { Segment } from './segment.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-log-'));
});

function options(overrides: Partial<LogOptions> = {}): LogOptions {
  return {
    dir,
    maxBytes: 10 * 1024 * 1024,
    maxAgeMs: 0,
    segmentBytes: 1024 * 1024,
    fsync: { mode: 'always' },
    whenFull: 'drop-oldest',
    log: silentLogger,
    ...overrides,
  };
}

const payload = (text: string) => Buffer.from(text);
const texts = (records: { payload: Buffer }[]) => records.map((r) => r.payload.toString());

describe('durable log', () => {
  it('keeps records across a reopen and resumes each reader at its acknowledged position', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('influx');
    const seqs = await Promise.all(['a', 'b', 'c', 'd'].map((t, i) => log.append(payload(t), i + 1)));
    expect(seqs).toEqual([0, 1, 2, 3]);
    const first = await log.read('influx', 2);
    expect(texts(first)).toEqual(['a', 'b']);
    expect(first.map((r) => r.count)).toEqual([1, 2]);
    await log.ack('influx', 0, 2);
    await log.close();

    const reopened = await DurableLog.open(options());
    expect(reopened.position('influx')).toBe(2);
    expect(texts(await reopened.read('influx', 10))).toEqual(['c', 'd']);
    expect(await reopened.append(payload('e'), 1)).toBe(4);
    await reopened.close();
  });

  it('frees a segment only after every reader acknowledged it', async () => {
    const log = await DurableLog.open(options({ segmentBytes: HEADER_BYTES + 10 }));
    await log.addReader('a');
    await log.addReader('b');
    for (let i = 0; i < 5; i++) await log.append(payload(`record-${i}`), 1); // one record per segment
    expect(log.stats().segments).toBe(5);
    await log.ack('a', 0, 5);
    expect(log.stats().segments).toBe(5);
    await log.ack('b', 0, 3);
    expect(log.stats()).toMatchObject({ segments: 2, firstSeq: 3, records: 2 });
    expect(texts(await log.read('b', 10))).toEqual(['record-3', 'record-4']);
    expect(await log.read('a', 10)).toEqual([]);
    await log.close();
  });

  it('keeps a segment open for reads while it is there, and closes it when it is freed or the log closes', async () => {
    // The files of this log that the process holds open.
    const open = async () => {
      const out: string[] = [];
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target.startsWith(dir)) out.push(path.basename(target));
      }
      return out.sort();
    };
    // Read from the disk: nothing kept in memory.
    const log = await DurableLog.open(options({ segmentBytes: HEADER_BYTES + 10, tailBytes: 0 }));
    await log.addReader('a');
    for (let i = 0; i < 4; i++) await log.append(payload(`record-${i}`), 1); // one record per segment
    for (let round = 0; round < 3; round++) expect(texts(await log.read('a', 10))).toHaveLength(4);
    // Each segment read is open once, however often it was read; the newest is also open for appends.
    const reading = await open();
    expect(reading.filter((f) => f.endsWith('.seg'))).toHaveLength(5);
    await log.ack('a', 0, 3);
    expect((await open()).filter((f) => f.endsWith('.seg'))).toHaveLength(2);
    await log.close();
    expect(await open()).toEqual([]);
  });

  it('sets aside a torn tail on start, counts it, and stays appendable', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    await log.append(payload('one'), 3);
    await log.append(payload('two'), 4);
    await log.close();
    const [segment] = await readdir(path.join(dir, 'segments'));
    const file = path.join(dir, 'segments', segment!);
    const goodSize = (await stat(file)).size;
    // A power cut mid-write: a header promising 100 bytes, and only 7 of them.
    const torn = Buffer.alloc(HEADER_BYTES + 7, 0);
    torn.writeUInt32LE(0x31474853, 0);
    torn.writeUInt32LE(100, 4);
    await appendFile(file, torn);

    const reopened = await DurableLog.open(options());
    expect(reopened.stats()).toMatchObject({
      records: 2,
      samples: 7,
      corrupt: { tails: 1, bytes: HEADER_BYTES + 7 },
    });
    expect((await stat(file)).size).toBe(goodSize);
    const aside = await readdir(path.join(dir, 'corrupt'));
    expect(aside).toHaveLength(1);
    expect((await readFile(path.join(dir, 'corrupt', aside[0]!))).equals(torn)).toBe(true);
    expect(await reopened.append(payload('three'), 1)).toBe(2);
    expect(texts(await reopened.read('s', 10))).toEqual(['one', 'two', 'three']);
    await reopened.close();
  });

  it('detects a flipped bit by checksum and sets aside everything from that record on', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    for (const t of ['alpha', 'bravo', 'charlie']) await log.append(payload(t), 1);
    await log.close();
    const [segment] = await readdir(path.join(dir, 'segments'));
    const file = path.join(dir, 'segments', segment!);
    const bytes = await readFile(file);
    const second = HEADER_BYTES + 'alpha'.length;
    const flip = second + HEADER_BYTES + 1; // inside "bravo"
    bytes.writeUInt8(bytes.readUInt8(flip) ^ 0x01, flip);
    await writeFile(file, bytes);

    const reopened = await DurableLog.open(options());
    expect(texts(await reopened.read('s', 10))).toEqual(['alpha']);
    expect(reopened.stats().corrupt).toEqual({ tails: 1, bytes: bytes.length - second, discarded: 0 });
    // New records continue the sequence after the last good one, so positions stay consistent.
    expect(await reopened.append(payload('delta'), 1)).toBe(1);
    await reopened.close();
  });

  it('when full, drops the oldest segments and counts exactly the unacknowledged samples lost', async () => {
    const recordBytes = HEADER_BYTES + 8;
    // Two records per segment, room for six records.
    const log = await DurableLog.open(options({ segmentBytes: 2 * recordBytes, maxBytes: 6 * recordBytes }));
    await log.addReader('influx');
    const drops: [string, number][] = [];
    const counting = await DurableLog.open(
      options({
        dir: `${dir}-b`,
        segmentBytes: 2 * recordBytes,
        maxBytes: 6 * recordBytes,
        onDrop: (r, n) => drops.push([r, n]),
      }),
    );
    await counting.addReader('influx');
    for (let i = 0; i < 10; i++) {
      await log.append(payload(`rec-${String(i).padStart(4, '0')}`), i + 1);
      await counting.append(payload(`rec-${String(i).padStart(4, '0')}`), i + 1);
    }
    // Records 0..3 (samples 1+2+3+4 = 10) were dropped to make room; 4..9 remain.
    expect(log.stats()).toMatchObject({ firstSeq: 4, records: 6, dropped: { full: 10, age: 0, refused: 0 } });
    expect(log.position('influx')).toBe(4);
    expect(texts(await log.read('influx', 100))[0]).toBe('rec-0004');
    expect(drops).toEqual([
      ['full', 3],
      ['full', 7],
    ]);
    await log.close();
    await counting.close();
  });

  it('counts only what a reader had not acknowledged when dropping', async () => {
    const recordBytes = HEADER_BYTES + 8;
    const log = await DurableLog.open(options({ segmentBytes: 2 * recordBytes, maxBytes: 4 * recordBytes }));
    await log.addReader('influx');
    for (let i = 0; i < 4; i++) await log.append(payload(`rec-${String(i).padStart(4, '0')}`), 5);
    await log.ack('influx', 0, 1); // record 0 delivered, records 1..3 not
    await log.append(payload('rec-0004'), 5); // segment [0,1] goes: record 1 (5 samples) is lost
    expect(log.stats().dropped.full).toBe(5);
    await log.close();
  });

  it('refuses new samples when full under refuse-new, counting them', async () => {
    const recordBytes = HEADER_BYTES + 4;
    const log = await DurableLog.open(options({ maxBytes: 2 * recordBytes, whenFull: 'refuse-new' }));
    await log.addReader('s');
    await log.append(payload('aaaa'), 2);
    await log.append(payload('bbbb'), 2);
    await expect(log.append(payload('cccc'), 7)).rejects.toBeInstanceOf(BufferFullError);
    expect(log.stats().dropped).toEqual({ full: 0, disk: 0, age: 0, refused: 7 });
    await log.ack('s', 0, 2);
    expect(await log.append(payload('dddd'), 1)).toBe(2);
    await log.close();
  });

  it('drops records older than the age bound, a segment at a time', async () => {
    let now = 1_000_000;
    const recordBytes = HEADER_BYTES + 1;
    const log = await DurableLog.open(
      options({ segmentBytes: recordBytes, maxAgeMs: 60_000, now: () => now }),
    );
    await log.addReader('s');
    await log.append(payload('a'), 4);
    now += 30_000;
    await log.append(payload('b'), 5);
    now += 40_000; // 'a' is now 70 s old, 'b' 40 s
    await log.append(payload('c'), 6);
    expect(log.stats().dropped.age).toBe(4);
    expect(texts(await log.read('s', 10))).toEqual(['b', 'c']);
    await log.close();
  });

  it('gives concurrent appends consecutive sequence numbers in one write', async () => {
    const log = await DurableLog.open(options());
    await log.addReader('s');
    const seqs = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(payload(String(i)), 1)));
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const records = await log.read('s', 1000);
    expect(texts(records)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    await log.close();
  });

  it('writes appends that queued up behind a sync a piece at a time, and reads them back whole', async () => {
    const MiB = 1024 * 1024;
    const log = await DurableLog.open(options({ segmentBytes: 16 * MiB, maxBytes: 64 * MiB, tailBytes: 0 }));
    await log.addReader('s');
    const probe = await open(path.join(dir, 'probe'), 'w');
    const write = vi.spyOn(Object.getPrototypeOf(probe), 'write');
    await probe.close();
    const big = (i: number) => Buffer.alloc(300 * 1024, 97 + i);
    try {
      // Appended at once, they are written as one chunk of 3.6 MB: in pieces of at most a MiB.
      const seqs = await Promise.all(Array.from({ length: 12 }, (_, i) => log.append(big(i), 1)));
      expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i));
      const sizes = write.mock.calls.map((call) => call[2] as number);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(12 * (HEADER_BYTES + 300 * 1024));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(MiB);
    } finally {
      write.mockRestore();
    }
    const fromIndex = await log.read('s', 100);
    expect(fromIndex.map((r, i) => r.payload.equals(big(i)))).toEqual(Array(12).fill(true));
    await log.close();
    const reopened = await DurableLog.open(options({ segmentBytes: 16 * MiB, maxBytes: 64 * MiB }));
    expect(reopened.stats()).toMatchObject({ records: 12, corrupt: { tails: 0, bytes: 0, discarded: 0 } });
    const fromScan = await reopened.read('s', 100);
    expect(fromScan.map((r, i) => r.payload.equals(big(i)))).toEqual(Array(12).fill(true));
    await reopened.close();
  });

  it('reads consecutive records only: a record that does not fit the samples ends the read, even at the end of a segment', async () => {
    // Two records a segment: [a, b] [c, d]. A read of at most 4,000 samples from a takes a (3,000);
    // b (1,500) does not fit, so the read ends there, although c (1,000) in the next segment would.
    // A read that went on to c skipped b, and its acknowledgement (first to last seq) freed b unsent.
    const log = await DurableLog.open(options({ segmentBytes: 2 * (HEADER_BYTES + 1), tailBytes: 0 }));
    await log.addReader('s');
    for (const [text, count] of [
      ['a', 3000],
      ['b', 1500],
      ['c', 1000],
      ['d', 10],
    ] as const)
      await log.append(payload(text), count);
    expect(log.stats().segments).toBe(2);
    expect(texts(await log.readFrom(0, 1024, 4000))).toEqual(['a']);
    expect(texts(await log.readFrom(0, 1024, 4500))).toEqual(['a', 'b']);
    expect(texts(await log.readFrom(0, 1024, 5500))).toEqual(['a', 'b', 'c']);
    // At least one record, however many samples it holds.
    expect(texts(await log.readFrom(1, 1024, 1000))).toEqual(['b']);
    await log.close();
  });

  it('survives appends, reads and acknowledgements racing each other across rotations', async () => {
    const log = await DurableLog.open(options({ segmentBytes: 4 * (HEADER_BYTES + 6) }));
    await log.addReader('s');
    const seen: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < 200; i++) void log.append(payload(`r${String(i).padStart(5, '0')}`), 1);
      await log.append(payload('r-done'), 1);
    })();
    while (!seen.includes('r-done')) {
      const records = await log.read('s', 7);
      seen.push(...texts(records));
      const last = records.at(-1);
      if (last) await log.ack('s', records[0]!.seq, last.seq + 1);
      else await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(seen).toEqual([
      ...Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(5, '0')}`),
      'r-done',
    ]);
    expect(log.stats().records).toBe(0);
    await log.close();
  });

  it('serves readers that keep up from memory: the same records, by the same bounds, as the disk', async () => {
    // A fixed-seed generator: the same records and reads every run.
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // Small segments and a small tail: reads start in the tail, before it, and across segments.
    const shape = { segmentBytes: 8 * (HEADER_BYTES + 12), tailBytes: 40 * 12 };
    const log = await DurableLog.open(options(shape));
    await log.addReader('s');
    for (let i = 0; i < 120; i++)
      await log.append(payload(`rec-${String(i).padStart(8, '0')}`), 1 + next(50));
    const reads = Array.from({ length: 200 }, () => [next(125), 1 + next(40), 1 + next(600)] as const);
    const fromMemoryOrDisk = [];
    const diskReads = vi.spyOn(Segment.prototype, 'read');
    for (const [from, records, samples] of reads) {
      diskReads.mockClear();
      fromMemoryOrDisk.push(await log.readFrom(from, records, samples));
      // The tail holds the newest 40 records (80–119): a read from there never touches the disk.
      expect(diskReads.mock.calls.length === 0, `read from ${from}`).toBe(from >= 80);
    }
    diskReads.mockRestore();
    await log.close();
    const disk = await DurableLog.open(options({ ...shape, tailBytes: 0 }));
    let inTail = 0;
    for (const [i, [from, records, samples]] of reads.entries()) {
      const expected = await disk.readFrom(from, records, samples);
      const got = fromMemoryOrDisk[i] as Awaited<ReturnType<typeof disk.readFrom>>;
      expect(got.map((r) => [r.seq, r.count, r.time, r.format, r.payload.toString()])).toEqual(
        expected.map((r) => [r.seq, r.count, r.time, r.format, r.payload.toString()]),
      );
      if (from >= 80) inTail++;
    }
    // Both paths were taken.
    expect(inTail).toBeGreaterThan(20);
    expect(inTail).toBeLessThan(reads.length - 20);
    await disk.close();
  });
});
