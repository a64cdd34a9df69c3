// A gateway whose data folder sits on a disk much smaller than buffer.maxBytes, with the store down:
// real Mosquitto in, real InfluxDB out, the gateway as its own process. Every sample published is
// in the store at the end or counted as dropped; SIGTERM stops it on the full disk and it starts again.
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { InfluxReader } from '../../gateway/sinks/influxdb/reader.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { freePort } from '../services/ports.ts';
import { mountSmallDisk, type SmallDisk, smallDisksAvailable } from '../services/small-disk.ts';
import { until } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const available = influxdBinary.available && mosquittoBinary.available && smallDisksAvailable;

const TAGS = 20;
const MESSAGES = 8000;
const DISK = 4 * 1024 ** 2;

async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/** Gateways started by the test, killed in afterAll should an assertion fail while one runs. */
const children = new Set<ChildProcess>();

function startGateway(config: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'gateway', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, and the exit code; fails the test if the gateway does not exit within 20 s. */
async function terminate(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
  const result = await Promise.race([exited, timeout]);
  if (result === 'hung') {
    child.kill('SIGKILL');
    throw new Error('the gateway did not stop within 20 s of SIGTERM');
  }
  return result;
}

describe.skipIf(!available)('gateway on a full disk', () => {
  let influx: InfluxDB;
  let broker: Mosquitto;
  let disk: SmallDisk;
  beforeAll(async () => {
    [influx, broker, disk] = await Promise.all([
      startInfluxDB(),
      // The broker keeps the session's messages while the gateway restarts.
      startMosquitto(['max_queued_messages 0', 'max_inflight_messages 1000']),
      mountSmallDisk(DISK),
    ]);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([influx?.stop(), broker?.stop(), disk?.unmount()]);
  });

  it('keeps the newest within the free space, counts every drop, stops on SIGTERM and starts again', async () => {
    await influx.halt(); // the store is down from the start
    const http = await freePort();
    const config = path.join(disk.dir, 'plant.yaml');
    const fields = Array.from({ length: TAGS }, (_, i) => `a${i}: v${i}`).join(', ');
    const tags = Array.from({ length: TAGS }, (_, i) => `{ id: a${i}, type: number }`).join(', ');
    await writeFile(
      config,
      [
        'gateway: { id: gw-disk, dataDir: ./data }', // on the small disk; buffer.maxBytes stays 1 GiB
        `http: { port: ${http} }`,
        'forward: { flushInterval: 100ms, retryInitial: 100ms, retryMax: 300ms }',
        `sinks: [{ name: influx, type: influxdb, version: 1, url: "${influx.url}", database: full, timeoutMs: 2000 }]`,
        'connections:',
        '  - id: line',
        '    protocol: mqtt',
        `    url: ${broker.url}`,
        '    clientId: gw-disk',
        '    reconnect: { initialDelayMs: 100, maxDelayMs: 300 }',
        `    subscriptions: [{ topic: line/press, device: press, qos: 1, timestamp: t, timestampFormat: epoch_ms, fields: { ${fields} } }]`,
        `    devices: [{ id: press, production: true, businessLinks: [生产管控], tags: [${tags}] }]`,
        '',
      ].join('\n'),
    );
    let gateway = startGateway(config);
    let stderr = '';
    gateway.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await until(
      () =>
        fetch(`http://127.0.0.1:${http}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000, // a loaded CI machine has taken over 30 s to start a gateway
      'ready',
    );
    const publisher = await connectAsync(broker.url, { clientId: 'disk-publisher' });
    const base = Date.UTC(2026, 0, 5, 8);
    for (let i = 0; i < MESSAGES; i++) {
      const payload: Record<string, number> = { t: base + i * 10 };
      for (let k = 0; k < TAGS; k++) payload[`v${k}`] = i + k / 100;
      await publisher.publishAsync('line/press', JSON.stringify(payload), { qos: 1 });
    }
    await publisher.endAsync();
    const published = MESSAGES * TAGS;
    // Everything taken in is in the buffer or counted as dropped: nothing in between, nothing lost.
    const backlog = async () =>
      (
        (await (await fetch(`http://127.0.0.1:${http}/readyz`)).json()) as {
          sinks: Record<string, { backlogSamples: number }>;
        }
      ).sinks.influx?.backlogSamples ?? -1;
    await until(
      async () =>
        (await backlog()) + (await metric(http, 'shugai_buffer_dropped_samples_total')) === published,
      60_000,
      'every sample buffered or counted',
    );
    expect(await metric(http, 'shugai_collector_samples_total')).toBe(published);
    // The disk, not maxBytes (1 GiB), is the bound, and says so.
    const capacity = await metric(http, 'shugai_buffer_capacity_bytes');
    expect(capacity).toBeGreaterThan(0);
    expect(capacity).toBeLessThan(DISK);
    expect(await metric(http, 'shugai_buffer_bytes')).toBeLessThanOrEqual(capacity);
    const dropsFirstRun = await metric(http, 'shugai_buffer_dropped_samples_total');
    expect(await metric(http, 'shugai_buffer_dropped_samples_total', 'reason="disk"')).toBe(dropsFirstRun);
    expect(dropsFirstRun).toBeGreaterThan(0); // the disk really was the bound
    expect(stderr).not.toMatch(/buffer append failed/);
    expect(await terminate(gateway)).toBe(0);

    // The disk is as full as the buffer may make it; the gateway starts on it, then the store returns.
    gateway = startGateway(config);
    let secondRunLog = '';
    gateway.stderr?.on('data', (chunk: Buffer) => {
      secondRunLog += chunk.toString();
    });
    await until(
      () =>
        fetch(`http://127.0.0.1:${http}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      'ready again',
    );
    await influx.restart();
    await until(async () => (await backlog()) === 0, 90_000, 'backlog drained');
    // What the sink says it did, to name the gap if the store and the counts ever disagree.
    const sinkSays = `sink wrote ${await metric(http, 'shugai_sink_samples_total')}, dropped ${await metric(http, 'shugai_sink_dropped_samples_total')}; the second run dropped ${await metric(http, 'shugai_buffer_dropped_samples_total')} from the buffer; corrupt tails at the second start ${await metric(http, 'shugai_buffer_corrupt_tails')}`;
    expect(await terminate(gateway)).toBe(0);

    const stored = await influx.query(`SELECT count("value") FROM samples WHERE device = 'press'`, 'full');
    const points = Number(stored.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
    // The newest attestation carries the drops of both runs.
    const last = await influx.query(
      `SELECT last("value_str") FROM samples WHERE device = '_gateway' AND tag_id = 'attestation'`,
      'full',
    );
    const attestation = JSON.parse(String(last.results[0]?.series?.[0]?.values[0]?.[1])) as {
      dropped: { full: number; age: number; refused: number };
    };
    const dropped = attestation.dropped.full + attestation.dropped.age + attestation.dropped.refused;
    // Under heavy load the second run once dropped one more segment: its warnings say why.
    const secondRunWarnings = secondRunLog
      .split('\n')
      .filter((line) => /"level":(40|50|60)/.test(line))
      .map((line) => line.slice(0, 300));
    expect(dropped, `${sinkSays}; second run's warnings: ${secondRunWarnings.join(' | ')}`).toBe(
      dropsFirstRun,
    );
    expect(points + dropped, `${points} in the store, ${dropped} attested drops; ${sinkSays}`).toBe(
      published,
    );
    // The oldest went, the newest stayed: the last message is in the store.
    const newest = await influx.query(`SELECT max("value") FROM samples WHERE tag_id = 'a0'`, 'full');
    expect(newest.results[0]?.series?.[0]?.values[0]?.[1]).toBe(MESSAGES - 1);

    // The genuine store verifies clean: the drops are the gateway's own, declared in its attestations.
    const report = await verifyStore({
      reader: new InfluxReader({ url: influx.url, database: 'full' }),
      publicKey: createPublicKey(await readFile(path.join(disk.dir, 'data', 'identity', 'gateway.pub'))),
      gatewayId: 'gw-disk',
      window: { from: base - 60_000, to: Date.now() + 60_000 },
    });
    expect(report.findings.filter((f) => f.kind !== 'dropped_by_policy')).toEqual([]);
    expect(report.clean).toBe(true);
  }, 240_000);
});
