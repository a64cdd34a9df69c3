// The gateway writes points with a head made once per series; the verifier with canonicalPoint.
// Both must give the same bytes for every value a store may hold, or genuine data reads as altered.
import { describe, expect, it } from 'vitest';
import type { DataType, Quality, SampleValue } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { canonicalHead, canonicalPoint, headedPoint } from './canonical.ts';

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

describe('headedPoint', () => {
  it('is the same text as canonicalPoint for every value, id, quality and status', () => {
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
            const head = canonicalHead(sample.device, sample.tag, type);
            expect(headedPoint(head, type, value, sample.sourceTime, quality, statusCode)).toBe(
              canonicalPoint(sample),
            );
            n++;
          }
    expect(n).toBe(VALUES.length * IDS.length * QUALITIES.length * 3);
  });
});
