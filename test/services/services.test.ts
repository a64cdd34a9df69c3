// The harness itself: real Mosquitto, InfluxDB 1.x and PostgreSQL start on free ports, answer, and stop.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from './binaries.ts';
import { influxdBinary, startInfluxDB } from './influxdb.ts';
import { mosquittoBinary, startMosquitto } from './mosquitto.ts';
import { postgresBinary, startPostgres } from './postgres.ts';

const run = promisify(execFile);

/** A service started before the enclosing block's tests and stopped after them; call the result for it. */
function serviceForBlock<S extends { stop(): Promise<void> }>(start: () => Promise<S>): () => S {
  let service: S | undefined;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(async () => {
    await service?.stop();
  });
  return () => {
    if (!service) throw new Error('the service did not start');
    return service;
  };
}

describe.skipIf(!mosquittoBinary.available)('mosquitto harness', () => {
  const broker = serviceForBlock(() => startMosquitto());

  it('passes a retained message from mosquitto_pub to mosquitto_sub', async () => {
    const pub = findBinary('mosquitto_pub');
    const sub = findBinary('mosquitto_sub');
    expect(pub, 'mosquitto_pub (Debian package mosquitto-clients)').toBeDefined();
    const address = ['-p', String(broker().port), '-h', '127.0.0.1', '-t', 'harness/t'];
    await run(pub!, [...address, '-m', '42', '-r', '-q', '1']);
    const { stdout } = await run(sub!, [...address, '-C', '1', '-W', '5']);
    expect(stdout.trim()).toBe('42');
  });
});

describe.skipIf(!influxdBinary.available)('influxdb harness', () => {
  const influxdb = serviceForBlock(() => startInfluxDB());

  it('stores a point written over /write and returns it, also after a restart', async () => {
    const influx = influxdb();
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

describe.skipIf(!postgresBinary.available)('postgresql harness', () => {
  const postgres = serviceForBlock(() => startPostgres());

  it('creates a database that keeps a row, refuses a wrong password, and runs as an unprivileged user', async () => {
    const url = await postgres().createDatabase('harness');
    expect(url).toMatch(
      new RegExp(`^postgres://shugai:[0-9a-f]{32}@127\\.0\\.0\\.1:${postgres().port}/harness$`),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (n bigint)');
      await client.query('INSERT INTO t VALUES ($1)', ['9007199254740991']);
      expect((await client.query('SELECT n::text AS n FROM t')).rows).toEqual([{ n: '9007199254740991' }]);
      const owner = await client.query(
        "SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen",
      );
      expect(owner.rows).toEqual([{ fsync: 'off', listen: '127.0.0.1' }]);
    } finally {
      await client.end();
    }
    const wrong = new pg.Client({ connectionString: url.replace(/:[0-9a-f]{32}@/, ':wrong@') });
    await expect(wrong.connect()).rejects.toThrow('password authentication failed for user "shugai"');
    if (process.getuid?.() === 0) {
      const { stdout } = await run('ps', ['-o', 'user=', '-p', String(postgres().process.pid)]);
      expect(stdout.trim()).toBe('postgres');
    }
  });
});
