// The gzip setting of the HTTP sinks: true is level 1 (the measured default), false sends the body
// as it is, 1-9 is a level; anything else is a config error.
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipBody } from './gzip.ts';
import { influxSinkSchema } from './influxdb/schema.ts';

const BODY = 'samples,device=press-1,gateway=gw,quality=good,tag_id=t value=23.47,received=1i 1\n'.repeat(
  200,
);

describe('gzip setting', () => {
  it('compresses at level 1 for true, at the level given, and not at all for false', async () => {
    const one = (await gzipBody(BODY, true)) as Buffer;
    expect(one.equals(gzipSync(BODY, { level: 1 }))).toBe(true);
    const nine = (await gzipBody(BODY, 9)) as Buffer;
    expect(nine.equals(gzipSync(BODY, { level: 9 }))).toBe(true);
    expect(gunzipSync(nine).toString()).toBe(BODY);
    expect(await gzipBody(BODY, false)).toBe(BODY);
  });

  it('defaults to true and refuses a level outside 1-9', () => {
    const base = { name: 'i', type: 'influxdb', version: 1, url: 'http://127.0.0.1:8086', database: 'p' };
    expect(influxSinkSchema.parse(base).gzip).toBe(true);
    expect(influxSinkSchema.parse({ ...base, gzip: 6 }).gzip).toBe(6);
    expect(influxSinkSchema.safeParse({ ...base, gzip: 0 }).success).toBe(false);
    expect(influxSinkSchema.safeParse({ ...base, gzip: 10 }).success).toBe(false);
  });
});
