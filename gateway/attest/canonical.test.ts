// The gateway hashes points from a head made once per series; the verifier from canonicalPoint.
// Both must give the same digest for every value a store may hold, or genuine data reads as altered.
import { describe, expect, it } from 'vitest';
import { DecimalText } from '../../core/digits.ts';
import type { DataType, Quality, SampleValue } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { canonicalHead, pointDigest, pointWords } from './canonical.ts';

const VALUES: [DataType, SampleValue][] = [
  ['number', 23.47],
  ['number', 0.1 + 0.2],
  ['number', -0],
  ['number', 1e21],
  ['number', 5e-324],
  ['number', -1.7976931348623157e308],
  ['number', Number.NaN],
  ['number', Number.POSITIVE_INFINITY],
  ['number', Number.NEGATIVE_INFINITY],
  ['integer', 9_007_199_254_740_991],
  ['integer', -42],
  ['boolean', true],
  ['boolean', false],
  ['string', ''],
  ['string', 'line\nbreak "quoted" back\\slash\ttab\r'],
  ['string', '😀 𠀀 模具温度 \u0000 \u2028'],
  ['string', '\ud800 lone surrogate'],
];
const IDS = ['press-1', 'dev "q"', '设备\\1', 'a\nb', '😀'];
const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];

const hex = (words: Int32Array) => [...words].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');

describe('pointWords', () => {
  it('is the digest of canonicalPoint for every value, id, time, quality and status', () => {
    let n = 0;
    for (const [type, value] of VALUES)
      for (const device of IDS)
        for (const quality of QUALITIES)
          for (const statusCode of [0, 2_150_694_912, 1]) {
            const sample: StoredSample = {
              device,
              tag: `${device}/t`,
              type,
              value,
              quality,
              statusCode,
              sourceTime: 1_796_300_000_123.9 + n,
              receivedAt: 0,
            };
            const head = Buffer.from(canonicalHead(sample.device, sample.tag, type));
            const digest = pointDigest(sample).toString('hex');
            expect(hex(pointWords(head, type, value, sample.sourceTime, quality, statusCode))).toBe(digest);
            // With the float's text the line writer made (a finite number of a number series).
            if (type === 'number' && Number.isFinite(value)) {
              const text = new DecimalText();
              text.set(value as number);
              expect(hex(pointWords(head, type, value, sample.sourceTime, quality, statusCode, text))).toBe(
                digest,
              );
            }
            n++;
          }
    expect(n).toBe(VALUES.length * IDS.length * QUALITIES.length * 3);
  });

  it('is the digest of canonicalPoint at the edges of times and statuses, and for values longer than its buffer', () => {
    const long = `${'模具'.repeat(3000)}"\\😀`;
    const cases: [DataType, SampleValue, number, number][] = [
      ['number', 1.5, -0.5, 0],
      ['number', 1.5, -1_000.9, 0],
      ['integer', -0, 0, -0],
      ['number', 2, 2 ** 53 + 2, 0],
      ['number', 2, 1e21, 0],
      ['integer', 7, 1_796_300_000_123, Number.NaN],
      ['integer', 2 ** 53 + 2, 1_796_300_000_123, 4_294_967_295],
      ['string', long, 1_796_300_000_123, 0],
      ['string', 'x'.repeat(70_000), 1_796_300_000_123, 1],
    ];
    for (const [type, value, sourceTime, statusCode] of cases) {
      const sample: StoredSample = {
        device: '设备-1',
        tag: 't',
        type,
        value,
        quality: 'uncertain',
        statusCode,
        sourceTime,
        receivedAt: 0,
      };
      const head = Buffer.from(canonicalHead(sample.device, sample.tag, type));
      expect(
        hex(pointWords(head, type, value, sourceTime, 'uncertain', statusCode)),
        `${type} ${sourceTime}`,
      ).toBe(pointDigest(sample).toString('hex'));
    }
  });
});
