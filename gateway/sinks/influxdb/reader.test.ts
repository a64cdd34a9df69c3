// The InfluxDB reader waits for InfluxDB, not for its caller: a slow consumer of a long answer is
// not cut off, a silent server is, after the idle timeout, with a reason.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../../test/services/influxdb.ts';
import { freePort } from '../../../test/services/ports.ts';
import { InfluxReader } from './reader.ts';

const T0 = Date.UTC(2026, 10, 2);

describe('InfluxDB reader timeouts', () => {
  it('gives up on a server that accepts the query and says nothing, naming the wait', async () => {
    const port = await freePort();
    const silent = createServer(() => {}).listen(port, '127.0.0.1');
    try {
      const reader = new InfluxReader({ url: `http://127.0.0.1:${port}`, database: 'x', timeoutMs: 300 });
      const read = async () => {
        for await (const _ of reader.samples({ from: T0, to: T0 + 1000 })) {
        }
      };
      await expect(read()).rejects.toThrow('InfluxDB sent nothing for 0.3 s');
    } finally {
      silent.close();
    }
  });
});

describe.skipIf(!influxdBinary.available)('InfluxDB reader with a slow caller', () => {
  let influx: InfluxDB;
  beforeAll(async () => {
    influx = await startInfluxDB();
    await influx.query('CREATE DATABASE slow');
    // 2,500 points: three chunks of at most 1,000 rows.
    const lines = Array.from(
      { length: 2500 },
      (_, i) =>
        `samples,device=press-1,gateway=gw,quality=good,tag_id=count value_int=${i}i,received=${T0 + i}i ${T0 + i}`,
    ).join('\n');
    const written = await fetch(`${influx.url}/write?db=slow&precision=ms`, { method: 'POST', body: lines });
    expect(written.status).toBe(204);
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('reads every point although the caller takes longer than the timeout between chunks', async () => {
    const reader = new InfluxReader({ url: influx.url, database: 'slow', timeoutMs: 250 });
    const values: unknown[] = [];
    for await (const sample of reader.samples({ from: T0, to: T0 + 2500 })) {
      values.push(sample.value);
      if (values.length % 1000 === 0) await new Promise((r) => setTimeout(r, 600));
    }
    expect(values).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });
});
