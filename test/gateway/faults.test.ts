// The gateway's promise under faults: what it accepted reaches the store, or is counted as dropped.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { DurableLog } from '../../gateway/buffer/log.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { freePort } from '../services/ports.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../services/pymodbus.ts';
import { LAYOUT, loadPlant, TAGS_PER_POLL, until, writePlant } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const available = influxdBinary.available && pymodbusBinary.available;

async function influxCount(influx: InfluxDB, db: string): Promise<number> {
  const result = await influx.query('SELECT count(value_int) FROM samples', db).catch(() => undefined);
  return Number(result?.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

/** The buffer statistics of a stopped gateway, read from its folder. */
async function bufferStats(configFile: string) {
  const log = await DurableLog.open({
    dir: path.join(path.dirname(configFile), 'data', 'buffer'),
    maxBytes: 1e9,
    maxAgeMs: 0,
    segmentBytes: 1e7,
    fsync: { mode: 'never' },
    whenFull: 'drop-oldest',
    log: silentLogger,
  });
  const stats = log.stats();
  await log.close();
  return stats;
}

/**
 * The points the gateway's attestations in InfluxDB cover: every point it took in, once each (points
 * left unsealed by a kill are attested at the next start).
 */
async function attestedPoints(influx: InfluxDB, db: string): Promise<number> {
  const result = await influx.query(`SELECT "value_str" FROM samples WHERE "device" = '_gateway'`, db);
  let points = 0;
  for (const [, text] of result.results[0]?.series?.[0]?.values ?? []) {
    const attestation = JSON.parse(String(text)) as { devices: { count: number }[] };
    for (const share of attestation.devices) points += share.count;
  }
  return points;
}

describe.skipIf(!available)('gateway faults', () => {
  let influx: InfluxDB;
  let plc: PymodbusServer;
  beforeAll(async () => {
    [influx, plc] = await Promise.all([startInfluxDB(), startPymodbusTcp(LAYOUT)]);
  });
  afterAll(async () => {
    await Promise.all([influx?.stop(), plc?.stop()]);
  });

  const influxSink = (db: string) =>
    `sinks:\n  - { name: influx, type: influxdb, version: 1, url: "${influx.url}", database: ${db}, timeoutMs: 2000 }`;

  it('loses nothing while InfluxDB is stopped for a while and restarted', async () => {
    const file = await writePlant({ modbusPort: plc.port, sinks: influxSink('outage') });
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    await until(async () => (await influxCount(influx, 'outage')) >= 10, 20_000, 'first samples in InfluxDB');
    await influx.halt();
    await new Promise((r) => setTimeout(r, 2500));
    const backlog = gateway.health().sinks.influx?.backlogSamples ?? 0;
    expect(backlog).toBeGreaterThan(50); // polls went on into the buffer
    await influx.restart();
    await new Promise((r) => setTimeout(r, 500));
    await gateway.stop(20_000);
    const taken = (
      await gateway.registry.getSingleMetric('shugai_collector_samples_total')?.get()
    )?.values.reduce((n, v) => n + v.value, 0);
    expect(await influxCount(influx, 'outage')).toBe(taken);
    expect(await attestedPoints(influx, 'outage')).toBe(taken);
  });

  it('loses nothing when killed with SIGKILL under load and restarted; a point written twice is one point', async () => {
    const file = await writePlant({ modbusPort: plc.port, sinks: influxSink('killed'), pollIntervalMs: 20 });
    const run = () => spawn(process.execPath, [BIN, 'gateway', '--config', file], { stdio: 'ignore' });
    let child: ChildProcess = run();
    await until(async () => (await influxCount(influx, 'killed')) >= 50, 30_000, 'samples before the kill');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = await influxCount(influx, 'killed');
    child = run();
    await until(
      async () => (await influxCount(influx, 'killed')) > before + 50,
      30_000,
      'samples after the restart',
    );
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // After a clean stop everything taken in, before and after the kill, is in InfluxDB exactly once,
    // and attested once.
    const drain = await Gateway.start({ ...loadPlant(file), connections: [] }, [], silentLogger);
    await until(() => (drain.health().sinks.influx?.backlogSamples ?? 1) === 0, 20_000, 'drain');
    await drain.stop();
    const stored = await influxCount(influx, 'killed');
    expect(stored % TAGS_PER_POLL).toBe(0); // whole polls
    expect(await attestedPoints(influx, 'killed')).toBe(stored);
  });

  it('sets aside a corrupt buffer tail, counts it, and starts', async () => {
    const file = await writePlant({ modbusPort: plc.port, sinks: 'sinks: [{ type: embedded }]' });
    const first = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    await new Promise((r) => setTimeout(r, 300));
    await first.stop();
    const segments = path.join(path.dirname(file), 'data', 'buffer', 'segments');
    const [segment] = (await readdir(segments)).sort().slice(-1);
    await appendFile(path.join(segments, segment!), Buffer.from('SHG1 torn by a power cut'));
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    const metrics = await gateway.registry.metrics();
    expect(metrics).toMatch(/^shugai_buffer_corrupt_tails 1$/m);
    expect(gateway.health().buffer.corrupt).toEqual({ tails: 1, bytes: 24, discarded: 0 });
    await gateway.stop();
  });

  it('drops the oldest samples when the buffer is full, counting exactly what it dropped', async () => {
    const dead = await freePort();
    const file = await writePlant({
      modbusPort: plc.port,
      sinks: `sinks:\n  - { name: influx, type: influxdb, version: 1, url: "http://127.0.0.1:${dead}", database: x, createDatabase: false, timeoutMs: 500 }`,
      buffer: 'buffer: { fsync: never, maxBytes: 4KiB, segmentBytes: 1KiB }',
      pollIntervalMs: 20,
    });
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    await until(
      async () =>
        /shugai_buffer_dropped_samples_total\{reason="full"\} [1-9]/.test(await gateway.registry.metrics()),
      20_000,
      'drops',
    );
    await gateway.stop(0);
    const metrics = await gateway.registry.metrics();
    const counter = (pattern: RegExp) =>
      [...metrics.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
    const dropped = counter(/shugai_buffer_dropped_samples_total\{reason="full"\} (\d+)/g);
    const taken = counter(/shugai_collector_samples_total\{[^}]*\} (\d+)/g);
    const stats = await bufferStats(file);
    // Every sample taken in is still held or counted as dropped (the buffer counts machine samples;
    // the attestation in each record rides along).
    expect(dropped + stats.samples).toBe(taken);
    expect(stats.bytes).toBeLessThanOrEqual(4096);
  });

  it('refuses a config with errors, naming the path and the line', { timeout: 150_000 }, async () => {
    const file = await writePlant({ modbusPort: 502, sinks: 'sinks: [{ type: embedded, file: 7 }]' });
    const result = spawnSync(process.execPath, [BIN, 'config', 'check', file], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `${file}:8 sinks[0].file: Invalid input: expected string, received number`,
    );
    // Two CLI starts from the sources: on a loaded machine each takes well over 10 s.
    const gateway = spawnSync(process.execPath, [BIN, 'gateway', '--config', file], {
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(gateway.status).toBe(2);
    expect(gateway.stderr).toContain('sinks[0].file');
  });
});
