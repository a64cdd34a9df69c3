// The acceptance of the gateway: samples from the simulator over OPC UA, Modbus TCP, MQTT JSON and
// Sparkplug B land in InfluxDB exactly as gateway/sinks/line-protocol.ts documents them. The plant is
// frozen at START, so every expected value is the model's value at START.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { simulatorGatewayConfigYaml } from '../../simulator/gateway-config.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { until } from '../gateway/plant.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';

const START = '2025-03-17T10:00:17.250+08:00'; // a Monday in the day shift
const T = Date.parse(START);
const DB = 'plant';
const GATEWAY = 'e2e-gw';
const FIELDS = ['value', 'value_int', 'value_bool', 'value_str'] as const;
type Field = (typeof FIELDS)[number];

interface Point {
  time: number;
  row: Record<string, unknown>;
}

describe.skipIf(!influxdBinary.available || !mosquittoBinary.available)(
  'simulator → gateway → InfluxDB',
  () => {
    let influx: InfluxDB;
    let mosquitto: Mosquitto;
    let sim: RunningSimulator;
    let gateway: Gateway;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'shugai-e2e-'));
      mosquitto = await startMosquitto();
      [influx, sim] = await Promise.all([
        startInfluxDB(),
        startSimulator({
          seed: 1,
          speed: 0,
          start: START,
          opcua: { port: 0 },
          modbus: { port: 0 },
          mqtt: { url: mosquitto.url, intervalMs: 200 },
        }),
      ]);
      const file = path.join(dir, 'plant.yaml');
      await writeFile(
        file,
        simulatorGatewayConfigYaml(sim, {
          gatewayId: GATEWAY,
          httpPort: 0,
          embedded: false,
          influx: { url: influx.url, database: DB },
          pkiDir: path.join(dir, 'pki'),
        }),
      );
      gateway = await Gateway.start(loadGatewayConfig(file, PLUGINS), PLUGINS, silentLogger);
      const expected = sim.plant.devices.flatMap((d) => d.tags.map((t) => `${d.id}/${t.id}`));
      let arrived = new Set<string>();
      await until(
        async () => {
          arrived = await goodSeries();
          return expected.every((key) => arrived.has(key));
        },
        90_000,
        'every tag of the plant in InfluxDB',
      ).catch((error: Error) => {
        throw new Error(`${error.message}; missing: ${expected.filter((k) => !arrived.has(k)).join(', ')}`);
      });
    }, 180_000);

    afterAll(async () => {
      await gateway?.stop(2000);
      await sim?.stop();
      await Promise.all([influx?.stop(), mosquitto?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** device/tag of every tag with a good point that a query finds (SHOW SERIES can run ahead of the data). */
    async function goodSeries(): Promise<Set<string>> {
      const result = await influx
        .query("SELECT count(received) FROM samples WHERE quality = 'good' GROUP BY device, tag_id", DB)
        .catch(() => undefined);
      return new Set((result?.results[0]?.series ?? []).map((s) => `${s.tags?.device}/${s.tags?.tag_id}`));
    }

    async function points(device: string, tag: string): Promise<Point[]> {
      const result = await influx.query(
        `SELECT * FROM samples WHERE device = '${device}' AND tag_id = '${tag}' ORDER BY time`,
        DB,
      );
      const series = result.results[0]?.series?.[0];
      if (!series) throw new Error(`no points for ${device}/${tag}`);
      return series.values.map((values) => {
        const row = Object.fromEntries(series.columns.map((c, i) => [c, values[i]]));
        return { time: Number(row.time), row };
      });
    }

    /**
     * Every point of the tag has the documented tags, the value in `field` only, equal to `value`;
     * returns the points for timestamp checks.
     */
    async function expectStored(device: string, tag: string, field: Field, value: unknown): Promise<Point[]> {
      const found = await points(device, tag);
      for (const { row } of found) {
        expect({
          at: `${device}/${tag}`,
          ...pick(row, ['device', 'tag_id', 'quality', 'gateway', 'status']),
        }).toEqual({
          at: `${device}/${tag}`,
          device,
          tag_id: tag,
          quality: 'good',
          gateway: GATEWAY,
          status: null,
        });
        expect({ tag, fields: pick(row, FIELDS) }).toEqual({
          tag,
          fields: Object.fromEntries(FIELDS.map((f) => [f, f === field ? value : null])),
        });
        expect(typeof row.received).toBe('number');
      }
      return found;
    }

    const model = (device: string, tag: string) => sim.plant.valueAt(device, tag, T);

    /** Source time is the simulated time: the frozen clock gives one point per tag, at START. */
    async function expectAtSourceTime(device: string, tag: string, field: Field, value = model(device, tag)) {
      const found = await expectStored(device, tag, field, value);
      expect({ tag: `${device}/${tag}`, times: found.map((p) => p.time) }).toEqual({
        tag: `${device}/${tag}`,
        times: [T],
      });
    }

    it('OPC UA: a Double, a UInt16 counter, a UInt32, the state enum, a string and a Boolean', async () => {
      expect(model('lathe-01', 'spindle_speed')).not.toBe(
        Math.round(Number(model('lathe-01', 'spindle_speed'))),
      );
      await expectAtSourceTime('lathe-01', 'spindle_speed', 'value');
      await expectAtSourceTime('imm-01', 'cycle_time', 'value');
      await expectAtSourceTime('lathe-01', 'part_count', 'value_int');
      await expectAtSourceTime('imm-01', 'shot_count', 'value_int');
      expect(model('lathe-01', 'state')).toBe(3); // MachineStateEnum, read as Int32
      await expectAtSourceTime('lathe-01', 'state', 'value_int');
      expect(model('cutter-01', 'alarm_text')).not.toBe(''); // a fault at START
      await expectAtSourceTime('cutter-01', 'alarm_text', 'value_str');
      await expectAtSourceTime('cutter-01', 'alarm_code', 'value_int');
      expect(model('cutter-01', 'blade_alarm')).toBe(true);
      await expectAtSourceTime('cutter-01', 'blade_alarm', 'value_bool');
    });

    it('Modbus: float32 CDAB, uint32, float64 in three word orders, coil and discrete input, scaled int16', async () => {
      const polled = async (device: string, tag: string, field: Field, value = model(device, tag)) => {
        const found = await expectStored(device, tag, field, value);
        // Modbus carries no time: the sample time is when the gateway received the value.
        for (const p of found) expect(p.time).toBe(p.row.received);
      };
      await polled('meter-forming', 'voltage_a', 'value'); // float32 CDAB
      await polled('meter-main', 'power_kw', 'value'); // float32 ABCD
      await polled('press-01', 'stroke_count', 'value_int'); // uint32 CDAB
      await polled('furnace-01', 'batch', 'value_int'); // uint32 ABCD
      await polled('meter-forming', 'energy_kwh', 'value'); // float64 ABCDEFGH
      await polled('furnace-01', 'energy_kwh', 'value'); // float64 GHEFCDAB
      await polled('press-01', 'energy_kwh', 'value'); // float64 HGFEDCBA
      await polled('furnace-01', 'vacuum', 'value'); // float32 DCBA
      await polled('furnace-01', 'chamber_temperature', 'value'); // float32 BADC
      expect(model('furnace-01', 'running')).toBe(true);
      await polled('furnace-01', 'running', 'value_bool'); // coil
      await polled('furnace-01', 'alarm_active', 'value_bool'); // discrete input
      await polled('press-01', 'part_count', 'value_int'); // uint16
      // Scaled registers: the decimal engineering value raw × scale (the collector computes it so).
      for (const [device, tag] of [
        ['press-01', 'oil_temperature'], // int16 × 0.1
        ['meter-furnace', 'power_factor'], // int16 × 0.001
        ['meter-furnace', 'energy_kwh'], // uint32 CDAB × 0.01
      ] as const) {
        const address = sim.plant.tag(device, tag).address;
        if (address.protocol !== 'modbus') throw new Error(`${device}/${tag} is not a Modbus tag`);
        const raw = Math.round(Number(model(device, tag)) / address.scale);
        await polled(device, tag, 'value', new Decimal(raw).times(address.scale).toNumber());
      }
    });

    it('MQTT JSON: sensor readings at the time in their payload', async () => {
      await expectAtSourceTime('env-workshop-01', 'temperature', 'value');
      await expectAtSourceTime('air-01', 'pressure', 'value');
      expect(model('env-coating-01', 'voc_alarm')).toBe(true);
      await expectAtSourceTime('env-coating-01', 'voc_alarm', 'value_bool');
    });

    it('Sparkplug B: the packing line metrics at their metric timestamps', async () => {
      await expectAtSourceTime('packing-line-01', 'state', 'value_int'); // Int32
      await expectAtSourceTime('packing-line-01', 'running', 'value_bool'); // Boolean
      await expectAtSourceTime('packing-line-01', 'good_count', 'value_int'); // UInt32
      await expectAtSourceTime('packing-line-01', 'reject_count', 'value_int');
      await expectAtSourceTime('packing-line-01', 'speed', 'value'); // Float
      await expectAtSourceTime('packing-line-01', 'power_kw', 'value'); // Double
    });

    it('derived: the state of a lathe and its part total', async () => {
      expect([model('lathe-01', 'state'), model('lathe-01', 'alarm_code')]).toEqual([3, 0]);
      expect(model('lathe-01', 'spindle_speed')).toBeGreaterThan(0);
      const state = await points('lathe-01', 'machine_state');
      expect(state.find((p) => p.time === T)?.row).toMatchObject({
        value_str: 'running',
        quality: 'good',
        gateway: GATEWAY,
      });
      // The first reading of a counter starts its total (at 0 without a saved total); the total of an
      // integer counter is an integer.
      await expectAtSourceTime('lathe-01', 'part_total', 'value_int', 0);
    });
  },
);

function pick(row: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, row[k] ?? null]));
}
