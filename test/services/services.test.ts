// The harness itself: real Mosquitto and InfluxDB 1.x start on free ports, answer, and stop.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from './binaries.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from './influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from './mosquitto.ts';

const run = promisify(execFile);

describe.skipIf(!mosquittoBinary.available)('mosquitto harness', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('passes a retained message from mosquitto_pub to mosquitto_sub', async () => {
    const pub = findBinary('mosquitto_pub');
    const sub = findBinary('mosquitto_sub');
    expect(pub, 'mosquitto_pub (Debian package mosquitto-clients)').toBeDefined();
    await run(pub!, [
      '-p',
      String(broker.port),
      '-h',
      '127.0.0.1',
      '-t',
      'harness/t',
      '-m',
      '42',
      '-r',
      '-q',
      '1',
    ]);
    const { stdout } = await run(sub!, [
      '-p',
      String(broker.port),
      '-h',
      '127.0.0.1',
      '-t',
      'harness/t',
      '-C',
      '1',
      '-W',
      '5',
    ]);
    expect(stdout.trim()).toBe('42');
  });
});

describe.skipIf(!influxdBinary.available)('influxdb harness', () => {
  let influx: InfluxDB;
  beforeAll(async () => {
    influx = await startInfluxDB();
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('stores a point written over /write and returns it, also after a restart', async () => {
    await influx.query('CREATE DATABASE harness');
    const res = await fetch(`${influx.url}/write?db=harness&precision=ms`, {
      method: 'POST',
      body: 'm,device=d1 v=1.5,n=3i 1700000000000',
    });
    expect(res.status).toBe(204);
    const before = await influx.query('SELECT v, n FROM m', 'harness');
    expect(before.results[0]?.series?.[0]?.values).toEqual([[1700000000000, 1.5, 3]]);
    await influx.halt();
    await influx.restart();
    const after = await influx.query('SELECT v, n FROM m', 'harness');
    expect(after.results[0]?.series?.[0]?.values).toEqual([[1700000000000, 1.5, 3]]);
  });
});
