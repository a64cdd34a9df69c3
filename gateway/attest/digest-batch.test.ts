import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DataType, Quality, SampleValue } from '../../core/model.ts';
import { canonicalHead, MultisetHash, pointMessage, pointWords } from './canonical.ts';
import { DigestBatch, digestEngine, nativeDigests } from './digest-batch.ts';

type Point = [
  device: string,
  tag: string,
  type: DataType,
  value: SampleValue,
  time: number,
  quality: Quality,
  status: number,
];

/** Points of every type, some sharing times, strings long enough to grow the batch past its first size. */
function points(n: number): Point[] {
  const qualities: Quality[] = ['good', 'uncertain', 'bad'];
  return Array.from({ length: n }, (_, i): Point => {
    const time = 1_796_300_000_000 + Math.floor(i / 10);
    const quality = qualities[i % 3] as Quality;
    const status = i % 7 === 0 ? 2_150_694_912 : 0;
    switch (i % 5) {
      case 0:
        return [`dev-${i % 13}`, `t${i % 10}`, 'number', i / 7, time, quality, status];
      case 1:
        return [`设备-${i % 3}`, 'spindle_temperature', 'integer', i * 1_000_003, time, quality, status];
      case 2:
        return ['press "2"', 'running', 'boolean', i % 2 === 0, time, quality, status];
      case 3:
        return ['dev-1', 'program', 'string', `模具 ${'x'.repeat(i % 300)} "${i}"`, time, quality, status];
      default:
        return ['dev-2', 't', 'number', Number.NaN, time - 5, 'bad', status];
    }
  });
}

/** The sums of the points' digests per device, added in batches of `sizes` (cycled). */
function sums(batch: DigestBatch, all: Point[], sizes: number[]): Map<string, string> {
  const byDevice = new Map<string, MultisetHash>();
  let k = 0;
  let inBatch = 0;
  for (const [device, tag, type, value, time, quality, status] of all) {
    const sum = byDevice.get(device) ?? new MultisetHash();
    byDevice.set(device, sum);
    const head = Buffer.from(canonicalHead(device, tag, type));
    pointMessage(batch.messages, head, type, value, time, quality, status);
    batch.add(sum);
    if (++inBatch === sizes[k % sizes.length]) {
      batch.finish();
      inBatch = 0;
      k++;
    }
  }
  batch.finish();
  return new Map([...byDevice].map(([device, sum]) => [device, sum.hex()]));
}

function expected(all: Point[]): Map<string, string> {
  const byDevice = new Map<string, MultisetHash>();
  for (const [device, tag, type, value, time, quality, status] of all) {
    const sum = byDevice.get(device) ?? new MultisetHash();
    byDevice.set(device, sum);
    sum.addWords(
      pointWords(Buffer.from(canonicalHead(device, tag, type)), type, value, time, quality, status),
    );
  }
  return new Map([...byDevice].map(([device, sum]) => [device, sum.hex()]));
}

// CI builds the addon (npm ci runs bin/build.mjs): its absence there is a failure, not a skip.
const required = process.env.SHUGAI_REQUIRE_SERVICES === '1';
if (!nativeDigests && !required)
  console.warn('digest-batch.test: the native SHA-256 is not built here; only the JavaScript path is tested');

describe('DigestBatch', () => {
  it.runIf(required)('is built where CI runs (npm ci builds it with node-gyp)', () => {
    expect(digestEngine).toBe('openssl');
  });

  it.skipIf(!nativeDigests)(
    'native digests are SHA-256 for every length across the block boundaries, empty ones included',
    () => {
      const messages = Array.from({ length: 200 }, (_, n) => Buffer.from('模'.repeat(n)).subarray(0, n));
      messages.push(Buffer.alloc(0), Buffer.from('["dev","t","number",1,2,"good",0]'));
      const bytes = Buffer.concat(messages);
      const ends = new Uint32Array(messages.length);
      let end = 0;
      messages.forEach((m, i) => {
        end += m.length;
        ends[i] = end;
      });
      const out = new Uint8Array(32 * messages.length);
      nativeDigests?.digests(bytes, ends, messages.length, out);
      messages.forEach((m, i) => {
        expect(Buffer.from(out.subarray(32 * i, 32 * i + 32)).toString('hex'), `length ${m.length}`).toBe(
          hash('sha256', m, 'hex'),
        );
      });
    },
  );

  it.skipIf(!nativeDigests)(
    'native digests refuse calls that would read or write outside what they are given',
    () => {
      const { digests } = nativeDigests as NonNullable<typeof nativeDigests>;
      const bytes = new Uint8Array(100);
      const out = new Uint8Array(64);
      expect(() => digests(bytes, new Uint32Array([50, 101]), 2, out)).toThrow(RangeError);
      expect(() => digests(bytes, new Uint32Array([50, 40]), 2, out)).toThrow(RangeError);
      expect(() => digests(bytes, new Uint32Array([50]), 2, out)).toThrow(RangeError);
      expect(() => digests(bytes, new Uint32Array([10, 20, 30]), 3, out)).toThrow(RangeError);
      expect(() => digests(bytes, new Int32Array([10]) as unknown as Uint32Array, 1, out)).toThrow(TypeError);
      expect(() => (digests as (...a: unknown[]) => void)(bytes, new Uint32Array([10]))).toThrow(TypeError);
      // Nothing was written by the refused calls; a good one writes its digest.
      expect(out.every((b) => b === 0)).toBe(true);
      digests(bytes, new Uint32Array([10]), 1, out);
      expect(Buffer.from(out.subarray(0, 32)).toString('hex')).toBe(
        hash('sha256', bytes.subarray(0, 10), 'hex'),
      );
    },
  );

  it('sums the same digests as pointWords, natively and in JavaScript, in batches of any size', () => {
    const all = points(3_000);
    const want = expected(all);
    expect(want.size).toBe(17);
    for (const sizes of [[1], [10], [7, 1_000, 3], [5_000]]) {
      expect(sums(new DigestBatch(undefined), all, sizes), `JavaScript, ${sizes}`).toEqual(want);
      if (nativeDigests)
        expect(sums(new DigestBatch(nativeDigests), all, sizes), `native, ${sizes}`).toEqual(want);
    }
  });
});
