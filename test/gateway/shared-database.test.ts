// A site with two boxes: two real gateways, each with its own id and key, read the same press and
// write into ONE InfluxDB database. Each verifies clean (the other's points and attestations are not
// its data), and an edit of one gateway's points is found by that gateway's verification only.
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { InfluxReader } from '../../gateway/sinks/influxdb/reader.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../services/pymodbus.ts';
import { LAYOUT, loadPlant, until, writePlant } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const available = influxdBinary.available && pymodbusBinary.available;

describe.skipIf(!available)('two gateways in one database', () => {
  let influx: InfluxDB;
  let plc: PymodbusServer;
  beforeAll(async () => {
    [influx, plc] = await Promise.all([startInfluxDB(), startPymodbusTcp(LAYOUT)]);
  });
  afterAll(async () => {
    await Promise.all([influx?.stop(), plc?.stop()]);
  });

  it('verifies each gateway clean, and finds an edit only in the edited gateway', {
    timeout: 120_000,
  }, async () => {
    const sinks = `sinks: [{ name: influx, type: influxdb, version: 1, url: "${influx.url}", database: site }]`;
    const files = await Promise.all(
      ['gw-east', 'gw-west'].map((gatewayId) => writePlant({ modbusPort: plc.port, sinks, gatewayId })),
    );
    const from = Date.now() - 1000;
    const gateways = await Promise.all(files.map((f) => Gateway.start(loadPlant(f), PLUGINS, silentLogger)));
    await until(() => gateways.every((g) => g.health().buffer.appended >= 20), 20_000, 'polls');
    await Promise.all(gateways.map((g) => g.stop()));
    const window = { from, to: Date.now() + 1000 };
    const keyOf = async (file: string): Promise<KeyObject> =>
      createPublicKey(await readFile(path.join(path.dirname(file), 'data', 'identity', 'gateway.pub')));
    const [east, west] = (await Promise.all(files.map(keyOf))) as [KeyObject, KeyObject];
    const reader = new InfluxReader({ url: influx.url, database: 'site' });
    const verify = (publicKey: KeyObject, gatewayId: string) =>
      verifyStore({ reader, publicKey, gatewayId, window });

    // Both gateways read press-1: the database holds two series per tag, one per gateway.
    const stored = await influx.query(
      "SELECT count(value_int) FROM samples WHERE device = 'press-1' GROUP BY gateway",
      'site',
    );
    const counts = Object.fromEntries(
      (stored.results[0]?.series ?? []).map((s) => [s.tags?.gateway, s.values[0]?.[1] as number]),
    );
    expect(Object.keys(counts).sort()).toEqual(['gw-east', 'gw-west']);
    for (const [key, gatewayId] of [
      [east, 'gw-east'],
      [west, 'gw-west'],
    ] as const) {
      const report = await verify(key, gatewayId);
      expect(report.findings, gatewayId).toEqual([]);
      expect(report.clean, gatewayId).toBe(true);
      expect(
        report.devices.map((d) => [d.device, d.attestedPoints]),
        gatewayId,
      ).toEqual([['press-1', counts[gatewayId]]]);
    }

    // One of gw-west's readings is changed in the database.
    const victim = await influx.query(
      "SELECT * FROM samples WHERE device = 'press-1' AND tag_id = 'r2' AND gateway = 'gw-west' LIMIT 1 OFFSET 3",
      'site',
    );
    const row = victim.results[0]?.series?.[0];
    const at = Number(row?.values[0]?.[row.columns.indexOf('time')]);
    const received = Number(row?.values[0]?.[row.columns.indexOf('received')]);
    const written = await fetch(`${influx.url}/write?db=site&precision=ms`, {
      method: 'POST',
      body: `samples,device=press-1,gateway=gw-west,quality=good,tag_id=r2 value_int=999i,received=${received}i ${at}`,
    });
    expect(written.status).toBe(204);
    expect((await verify(east, 'gw-east')).findings).toEqual([]);
    // The finding names the attested slice (about a second) that holds the edited point.
    const found = (await verify(west, 'gw-west')).findings;
    expect(found.map((f) => [f.kind, f.device])).toEqual([['altered', 'press-1']]);
    expect(found[0]?.from).toBeLessThanOrEqual(at);
    expect(found[0]?.to).toBeGreaterThanOrEqual(at);

    // `shugai verify --config` reads the store the gateway config names, scoped to its gateway; a
    // bureau naming its own --store gets the gateway id from the config too.
    const cli = (file: string, key: string, ...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          BIN,
          'verify',
          '--config',
          file,
          '--pubkey',
          key,
          '--from',
          new Date(window.from).toISOString(),
          '--to',
          new Date(window.to).toISOString(),
          ...extra,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
    const keyFile = (file: string) => path.join(path.dirname(file), 'data', 'identity', 'gateway.pub');
    const [eastFile, westFile] = files as [string, string];
    const eastRun = cli(eastFile, keyFile(eastFile));
    expect([eastRun.status, eastRun.stderr]).toEqual([0, '']);
    expect(eastRun.stdout).toContain('CLEAN');
    const bureau = cli(eastFile, keyFile(eastFile), '--store', `${influx.url}/site`, '--json');
    expect([bureau.status, bureau.stderr]).toEqual([0, '']);
    expect(JSON.parse(bureau.stdout)).toMatchObject({ clean: true, findings: [] });
    const westRun = cli(westFile, keyFile(westFile));
    expect(westRun.status).toBe(1);
    expect(westRun.stdout).toContain('[altered] press-1, ');
  });
});
