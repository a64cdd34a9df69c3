// The gzip setting of the HTTP sinks: true is level 1, false sends the body as it is, 1-9 is a
// level, unset is level 1 unless the store is on this machine; anything else is a config error.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipBody, gzipLevel } from './gzip.ts';
import { influxSinkSchema } from './influxdb/schema.ts';
import { InfluxSink } from './influxdb/sink.ts';
import type { StoredSample } from './sink.ts';

const BODY = 'samples,device=press-1,gateway=gw,quality=good,tag_id=t value=23.47,received=1i 1\n'.repeat(
  200,
);

describe('gzip setting', () => {
  it('compresses at level 1 for true, at the level given, and not at all for false', async () => {
    const one = (await gzipBody(BODY, 1)) as Buffer;
    expect(one.equals(gzipSync(BODY, { level: 1 }))).toBe(true);
    const nine = (await gzipBody(BODY, 9)) as Buffer;
    expect(nine.equals(gzipSync(BODY, { level: 9 }))).toBe(true);
    expect(gunzipSync(nine).toString()).toBe(BODY);
    expect(await gzipBody(BODY, false)).toBe(BODY);
  });

  it('is unset by default and refuses a level outside 1-9', () => {
    const base = { name: 'i', type: 'influxdb', version: 1, url: 'http://127.0.0.1:8086', database: 'p' };
    expect(influxSinkSchema.parse(base).gzip).toBe(undefined);
    expect(influxSinkSchema.parse({ ...base, gzip: 6 }).gzip).toBe(6);
    expect(influxSinkSchema.safeParse({ ...base, gzip: 0 }).success).toBe(false);
    expect(influxSinkSchema.safeParse({ ...base, gzip: 10 }).success).toBe(false);
  });

  it('unset: none for a store on this machine, level 1 for any other; a setting given is kept', () => {
    const level = (url: string, setting?: boolean | number) => gzipLevel(setting, new URL(url));
    for (const url of [
      'http://127.0.0.1:8086',
      'http://127.8.9.10:8086',
      'http://localhost:8086',
      'http://LOCALHOST:8086',
      'http://influx.localhost:8086',
      'http://[::1]:8086',
      'http://[::ffff:127.0.0.1]:8086',
    ])
      expect([url, level(url)]).toEqual([url, false]);
    for (const url of [
      'http://10.0.0.5:8086',
      'http://192.168.1.20:8086',
      'http://128.0.0.1:8086',
      'http://[::2]:8086',
      'http://[::ffff:10.0.0.1]:8086',
      'http://influx.plant.lan:8086',
      'http://localhost.example.com:8086',
      'https://metrics.example.com/insert/0/prometheus',
    ])
      expect([url, level(url)]).toEqual([url, 1]);
    expect(level('http://127.0.0.1:8086', true)).toBe(1);
    expect(level('http://127.0.0.1:8086', 6)).toBe(6);
    expect(level('http://10.0.0.5:8086', false)).toBe(false);
  });

  it('the InfluxDB sink sends what the level says, and says so in Content-Encoding', async () => {
    const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sample: StoredSample = {
      device: 'press-1',
      tag: 't',
      type: 'number',
      value: 23.47,
      quality: 'good',
      statusCode: 0,
      sourceTime: 1,
      receivedAt: 1,
    };
    const line = 'samples,device=press-1,gateway=gw,quality=good,tag_id=t value=23.47,received=1i 1\n';
    try {
      for (const gzip of [undefined, true]) {
        const config = { name: 'i', type: 'influxdb', version: 1, url, database: 'p', createDatabase: false };
        const sink = new InfluxSink(influxSinkSchema.parse({ ...config, gzip }), 'gw');
        expect(await sink.write([sample])).toEqual({ kind: 'ok' });
        await sink.close();
      }
    } finally {
      server.close();
    }
    expect(seen.map((s) => s.headers['content-encoding'])).toEqual([undefined, 'gzip']);
    expect(seen[0]?.body.toString()).toBe(line);
    expect(gunzipSync(seen[1]?.body as Buffer).toString()).toBe(line);
  });
});
