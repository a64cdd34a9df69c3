// The acceptance of the evidence on genuine data: the simulated plant (OPC UA, Modbus TCP, MQTT JSON
// and Sparkplug B, with the gateway's derived state, totals and OEE) runs into a real gateway for ten
// minutes of plant time, into the embedded store, a real InfluxDB and a real VictoriaMetrics at once.
// Each verifies with no finding and no plausibility flag (VictoriaMetrics against the attestations
// the embedded store holds, as it would against the bureau's copy: it keeps none itself). The plant runs 30 times faster than the wall clock, from an
// hour ago, so its times never run ahead of the gateway's.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { tagCatalog } from '../../gateway/attest/plausibility.ts';
import { storeAttestations, verifyStore } from '../../gateway/attest/verify.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { InfluxReader } from '../../gateway/sinks/influxdb/reader.ts';
import { VictoriaReader } from '../../gateway/sinks/victoriametrics/reader.ts';
import type { SampleReader } from '../../gateway/store/reader.ts';
import { simulatorGatewayConfigYaml } from '../../simulator/gateway-config.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { startVictoriaMetrics, type VictoriaMetrics, victoriaBinary } from '../services/victoriametrics.ts';
import { until } from './plant.ts';

const SPEED = 30;
const PLANT_MINUTES = 10;
const GATEWAY = 'plant-gw';

describe.skipIf(!influxdBinary.available || !mosquittoBinary.available || !victoriaBinary.available)(
  'the simulated plant, verified',
  () => {
    let influx: InfluxDB;
    let mosquitto: Mosquitto;
    let vm: VictoriaMetrics;
    let sim: RunningSimulator;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'shugai-plant-'));
      [influx, mosquitto, vm] = await Promise.all([
        startInfluxDB(),
        startMosquitto(),
        startVictoriaMetrics(),
      ]);
    }, 60_000);
    afterAll(async () => {
      await sim?.stop();
      await Promise.all([influx?.stop(), mosquitto?.stop(), vm?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('verifies ten minutes of the plant with no finding and no flag, in every store', {
      timeout: 180_000,
    }, async () => {
      // An hour back at 30×: two minutes of wall clock before the plant's time would pass the gateway's.
      const start = Date.now() - 60 * 60_000;
      sim = await startSimulator({
        seed: 7,
        speed: SPEED,
        start,
        opcua: { port: 0 },
        modbus: { port: 0 },
        mqtt: { url: mosquitto.url, intervalMs: 1000 },
      });
      const file = path.join(dir, 'plant.yaml');
      await writeFile(
        file,
        simulatorGatewayConfigYaml(sim, {
          gatewayId: GATEWAY,
          dataDir: './data',
          httpPort: 0,
          influx: { url: influx.url, database: 'plant' },
          victoriametrics: { url: vm.url },
          pkiDir: path.join(dir, 'pki'),
        }),
      );
      const config = loadGatewayConfig(file, PLUGINS);
      const gateway = await Gateway.start(config, PLUGINS, silentLogger);
      const from = sim.clock.now();
      await until(
        () => sim.clock.now() >= from + PLANT_MINUTES * 60_000,
        60_000,
        'ten minutes of plant time',
      );
      await gateway.stop();
      await sim.stop();
      expect(sim.clock.now()).toBeLessThan(Date.now());

      const publicKey = createPublicKey(await readFile(path.join(dir, 'data', 'identity', 'gateway.pub')));
      const devices = config.connections.flatMap((c) =>
        PLUGINS.find((p) => p.protocol === c.protocol)!.devices(c),
      );
      const window = { from: start - 60_000, to: Date.now() + 60_000 };
      await fetch(`${vm.url}/internal/force_flush`);
      const embedded = new EmbeddedStore('check', path.join(dir, 'data', 'samples.db'), { readonly: true });
      const readers: [string, SampleReader][] = [
        ['embedded', embedded],
        ['influxdb', new InfluxReader({ url: influx.url, database: 'plant' })],
        ['victoriametrics', new VictoriaReader({ url: vm.url, gateway: GATEWAY })],
      ];
      const attested: number[] = [];
      for (const [name, reader] of readers) {
        const report = await verifyStore({
          reader,
          publicKey,
          gatewayId: GATEWAY,
          window,
          tags: tagCatalog(devices, config.derived),
          ...(reader.holdsAttestations === false
            ? { attestations: storeAttestations(embedded, GATEWAY) }
            : {}),
        });
        expect(report.findings, name).toEqual([]);
        expect(report.flags, name).toEqual([]);
        expect(report.clean, name).toBe(true);
        // Every protocol's devices are in the evidence.
        expect(
          report.devices.map((d) => d.device),
          name,
        ).toEqual(expect.arrayContaining(['lathe-01', 'meter-main', 'env-workshop-01', 'packing-line-01']));
        attested.push(report.devices.reduce((n, d) => n + d.attestedPoints, 0));
      }
      for (const [, reader] of readers) await reader.close();
      // Every store holds the same attested points.
      expect(attested[0]).toBeGreaterThan(1000);
      expect(attested.slice(1)).toEqual([attested[0], attested[0]]);
    });
  },
);
