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
    // Only quotes and backslashes are escaped; a newline goes in as it is, inside the quotes.
    expect(toLine({ ...base, type: 'string', value: 'say "合格"\\n\nnext' }, options)).toContain(
      ' value_str="say \\"合格\\"\\\\n\nnext",received=',
    );
  });

  it('adds the status code of a bad sample and escapes tag values', () => {
    const line = toLine({ ...base, device: 'press 2,a=b', quality: 'bad', statusCode: 0x80050000 }, options);
    expect(line).toBe(
      'samples,device=press\\ 2\\,a\\=b,gateway=gw-01,quality=bad,tag_id=spindle_speed value=1200.5,received=1700000000200i,status=2147811328i 1700000000123',
    );
  });

  it('writes a number InfluxDB cannot hold as a float as its text in value_raw', () => {
    const lines = toLines(
      [
        { ...base, value: Number.NaN, quality: 'bad' },
        { ...base, value: Number.NEGATIVE_INFINITY, quality: 'bad' },
      ],
      options,
    );
    expect(lines.trim().split('\n')).toEqual([
      'samples,device=lathe-01,gateway=gw-01,quality=bad,tag_id=spindle_speed value_raw="NaN",received=1700000000200i 1700000000123',
      'samples,device=lathe-01,gateway=gw-01,quality=bad,tag_id=spindle_speed value_raw="-Infinity",received=1700000000200i 1700000000123',
    ]);
  });
});
