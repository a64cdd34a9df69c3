import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../sinks/sink.ts';
import { decodeSamples, encodeSamples } from './sample-codec.ts';

describe('sample codec', () => {
  it('round-trips samples of every type and quality exactly', () => {
    const samples: StoredSample[] = [
      {
        device: 'lathe-01',
        tag: 'speed',
        type: 'number',
        value: 0.1,
        quality: 'good',
        statusCode: 0,
        sourceTime: 1_700_000_000_000,
        receivedAt: 1_700_000_000_004,
      },
      {
        device: 'lathe-01',
        tag: 'parts',
        type: 'integer',
        value: 65535,
        quality: 'uncertain',
        statusCode: 1083179008,
        sourceTime: 1_699_999_999_000,
        receivedAt: 1_700_000_000_004,
      },
      {
        device: 'meter',
        tag: 'ok',
        type: 'boolean',
        value: false,
        quality: 'bad',
        statusCode: 2,
        sourceTime: 1_700_000_000_500,
        receivedAt: 1_700_000_000_500,
      },
      {
        device: 'lathe-01',
        tag: 'speed',
        type: 'number',
        value: -3.5e-7,
        quality: 'good',
        statusCode: 0,
        sourceTime: 1_700_000_001_000,
        receivedAt: 1_700_000_001_001,
      },
      {
        device: 'env',
        tag: 'note',
        type: 'string',
        value: '合格 "ok"',
        quality: 'good',
        statusCode: 0,
        sourceTime: 1_700_000_001_000,
        receivedAt: 1_700_000_001_001,
      },
    ];
    const bytes = encodeSamples(samples);
    expect(decodeSamples(bytes)).toEqual(samples);
    expect(decodeSamples(new Uint8Array(bytes))).toEqual(samples);
  });

  it('encodes an empty batch', () => {
    expect(decodeSamples(encodeSamples([]))).toEqual([]);
  });

  it('keeps NaN and the infinities, which JSON cannot hold, as numbers', () => {
    const at = 1_700_000_000_000;
    const samples: StoredSample[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(
      (value, i) => ({
        device: 'probe',
        tag: `t${i}`,
        type: 'number',
        value,
        quality: 'bad',
        statusCode: 0,
        sourceTime: at + i,
        receivedAt: at + i,
      }),
    );
    expect(decodeSamples(encodeSamples(samples))).toEqual(samples);
    expect(decodeSamples(encodeSamples(samples)).map((s) => String(s.value))).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
    ]);
  });
});
