import { describe, expect, it } from 'vitest';
import { toLine, toLines } from './line-protocol.ts';
import type { StoredSample } from './sink.ts';

const base: StoredSample = {
  device: 'lathe-01',
  tag: 'spindle_speed',
  value: 1200.5,
  type: 'number',
  quality: 'good',
  statusCode: 0,
  sourceTime: 1_700_000_000_123,
  receivedAt: 1_700_000_000_200,
};
const options = { measurement: 'samples', gatewayId: 'gw-01' };

describe('line protocol', () => {
  it('writes each type into its own field, integers with the i suffix', () => {
    expect(toLine(base, options)).toBe(
      'samples,device=lathe-01,gateway=gw-01,quality=good,tag_id=spindle_speed value=1200.5,received=1700000000200i 1700000000123',
    );
    expect(toLine({ ...base, type: 'integer', value: 65535 }, options)).toBe(
      'samples,device=lathe-01,gateway=gw-01,quality=good,tag_id=spindle_speed value_int=65535i,received=1700000000200i 1700000000123',
    );
    expect(toLine({ ...base, type: 'boolean', value: false }, options)).toContain(
      ' value_bool=false,received=',
    );
    expect(toLine({ ...base, type: 'string', value: 'say "合格"\\n' }, options)).toContain(
      ' value_str="say \\"合格\\"\\\\n",received=',
    );
  });

  it('adds the status code of a bad sample and escapes tag values', () => {
    const line = toLine({ ...base, device: 'press 2,a=b', quality: 'bad', statusCode: 0x80050000 }, options);
    expect(line).toBe(
      'samples,device=press\\ 2\\,a\\=b,gateway=gw-01,quality=bad,tag_id=spindle_speed value=1200.5,received=1700000000200i,status=2147811328i 1700000000123',
    );
  });

  it('leaves out and counts floats InfluxDB cannot hold', () => {
    const { text, unrepresentable } = toLines(
      [base, { ...base, value: Number.NaN }, { ...base, value: Number.POSITIVE_INFINITY }],
      options,
    );
    expect(unrepresentable).toBe(2);
    expect(text.trim().split('\n')).toHaveLength(1);
  });
});
