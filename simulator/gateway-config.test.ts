import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { matchRegister, placeInConfig } from '../assessment/register/match.ts';
import { parseRegister } from '../assessment/register/read.ts';
import { countsInRates } from '../assessment/register/schema.ts';
import { registerCsv } from '../assessment/register/testing.ts';
import { decodeRegisters } from '../collector/modbus/codec.ts';
import { resolveTags } from '../collector/modbus/resolve.ts';
import type { ModbusConnectionConfig } from '../collector/modbus/schema.ts';
import { PLUGINS } from '../collector/registry.ts';
import type { Device } from '../core/model.ts';
import { parseYamlText } from '../gateway/config/load.ts';
import { type GatewayConfig, loadGatewayConfig, validateGatewayConfig } from '../gateway/config/schema.ts';
import { holds } from '../gateway/derived/condition.ts';
import { simulatorGatewayConfig, simulatorGatewayConfigYaml } from './gateway-config.ts';
import { createPlant, MACHINE_STATES, type Plant, type SimDevice } from './index.ts';
import { encodeRegisters, toRaw } from './modbus/codec.ts';

const ENDPOINTS = {
  opcua: { endpointUrl: 'opc.tcp://127.0.0.1:48400' },
  modbus: { host: '127.0.0.1', port: 50200 },
  mqtt: { url: 'mqtt://127.0.0.1:18830' },
};
const FILE = '/tmp/shugai-sim/plant.yaml';

function load(plant: Plant, options: Parameters<typeof simulatorGatewayConfigYaml>[1] = {}): GatewayConfig {
  return validateGatewayConfig(
    parseYamlText(simulatorGatewayConfigYaml({ plant, ...ENDPOINTS }, options), FILE),
    PLUGINS,
  );
}

function devicesOf(config: GatewayConfig): Device[] {
  return config.connections.flatMap((c) => PLUGINS.find((p) => p.protocol === c.protocol)!.devices(c));
}

/** A plant device as the shared model sees it (what the gateway's devices must equal). */
const modelView = (d: SimDevice): Device => ({
  id: d.id,
  protocol: d.protocol,
  businessLinks: d.businessLinks,
  production: d.production,
  ...(d.asset === undefined ? {} : { asset: d.asset }),
  ...(d.description === undefined ? {} : { description: d.description }),
  tags: d.tags.map(({ signal: _signal, address: _address, ...tag }) => tag),
});

describe('simulatorGatewayConfig', () => {
  for (const scenario of ['yongkang-cups', 'yongkang-cups-before']) {
    it(`${scenario}: passes the gateway loader with every device and tag of the plant`, () => {
      const plant = createPlant(scenario, 1);
      const config = load(plant);
      const devices = devicesOf(config);
      expect(devices).toHaveLength(plant.devices.length);
      expect(devices.reduce((n, d) => n + d.tags.length, 0)).toBe(
        plant.devices.reduce((n, d) => n + d.tags.length, 0),
      );
      expect(devices).toEqual(plant.devices.map(modelView));
      const protocols = new Set(plant.devices.map((d) => d.protocol));
      expect(config.connections.map((c) => c.protocol).sort()).toEqual([...protocols].sort());
      expect(config.sinks).toEqual([{ name: 'embedded', type: 'embedded', file: 'samples.db' }]);
    });
  }

  it("maps the machines onto the plant's register: 16 of 23 production devices in service after, 4 before", async () => {
    const mapped = async (scenario: string) => {
      const plant = createPlant(scenario, 1);
      // The register as an enterprise hands it in, read back by the assessment's parser.
      const register = await parseRegister(
        Buffer.from(registerCsv(plant.definition.register)),
        'register.csv',
      );
      expect(register.entries).toEqual(plant.definition.register);
      const parsed = parseYamlText(simulatorGatewayConfigYaml({ plant, ...ENDPOINTS }), FILE);
      const match = matchRegister(
        register,
        devicesOf(validateGatewayConfig(parsed, PLUGINS)),
        placeInConfig(parsed),
      );
      const inRates = register.entries.filter(countsInRates).map((e) => e.asset);
      return [inRates.length, inRates.filter((a) => match.deviceOf.has(a)).length];
    };
    expect(await mapped('yongkang-cups')).toEqual([23, 16]);
    expect(await mapped('yongkang-cups-before')).toEqual([23, 4]);
  });

  it('is read by loadGatewayConfig from a file, with the embedded store, InfluxDB and the central copy as sinks', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-simcfg-'));
    try {
      const file = path.join(dir, 'plant.yaml');
      const plant = createPlant('yongkang-cups', 7);
      const yaml = simulatorGatewayConfigYaml(
        { plant, ...ENDPOINTS },
        {
          gatewayId: 'demo-gw',
          httpPort: 0,
          influx: { url: 'http://127.0.0.1:8086', database: 'plant' },
          centralUrl: 'http://127.0.0.1:8787',
        },
      );
      await writeFile(file, yaml);
      const config = loadGatewayConfig(file, PLUGINS);
      expect(config.gateway.id).toBe('demo-gw');
      expect(config.http).toEqual({ host: '127.0.0.1', port: 0 });
      expect(config.sinks.map((s) => [s.name, s.type])).toEqual([
        ['embedded', 'embedded'],
        ['influx', 'influxdb'],
        ['central', 'central'],
      ]);
      expect(config.sinks[2]).toMatchObject({ url: 'http://127.0.0.1:8787' });
      expect(devicesOf(config)).toHaveLength(22);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps every Modbus tag so the collector decodes what the simulator encodes, exactly', () => {
    const plant = createPlant('yongkang-cups', 3);
    const t = Date.parse('2025-03-17T10:30:00+08:00');
    const connection = load(plant).connections.find((c) => c.protocol === 'modbus') as ModbusConnectionConfig;
    let checked = 0;
    for (const device of connection.devices) {
      for (const read of resolveTags(device.unitId, 0, connection.order, device.tags)) {
        const tag = plant.tag(device.id, read.ref.id);
        const address = tag.address;
        if (address.protocol !== 'modbus') throw new Error('not a Modbus tag');
        expect(read.unitId).toBe(address.unitId);
        expect(read.address).toBe(address.address);
        if (address.type === 'bool') continue; // a coil is one bit: nothing to order
        const modelValue = plant.valueAt(device.id, tag.id, t);
        const rawValue = toRaw(address, Number(modelValue));
        // The engineering value raw × scale in decimal (2196 × 0.1 = 219.6), as the collector computes
        // it; the model's valueAt multiplies in binary floating point (219.60000000000002).
        const expected =
          address.scale === 1 ? modelValue : new Decimal(rawValue).times(address.scale).toNumber();
        const words = encodeRegisters(address.type, address.order, rawValue);
        const raw = Buffer.concat(words.map((w) => Buffer.from([w >> 8, w & 0xff])));
        expect({ tag: `${device.id}/${tag.id}`, value: decodeRegisters(read.ref.spec, raw).value }).toEqual({
          tag: `${device.id}/${tag.id}`,
          value: expected,
        });
        checked++;
      }
    }
    const registerTags = plant.devices.flatMap((d) =>
      d.tags.filter((tag) => tag.address.protocol === 'modbus' && tag.address.type !== 'bool'),
    );
    expect(checked).toBe(registerTags.length);
    expect(checked).toBe(60);
  });

  it('derives state, counter totals and OEE per shift for the lathes and moulding machines', () => {
    const plant = createPlant('yongkang-cups', 1);
    const config = load(plant);
    const { derived } = config;
    // A derived tag named like a raw one would hide the raw samples from the engine.
    const raw = new Set(devicesOf(config).flatMap((d) => d.tags.map((t) => `${d.id}/${t.id}`)));
    const outputs = [
      ...derived.machineState.map((r) => `${r.device}/${r.tag}`),
      ...derived.counters.map((c) => `${c.device}/${c.output}`),
    ];
    expect(outputs.filter((o) => raw.has(o))).toEqual([]);
    const machines = ['lathe-01', 'lathe-02', 'lathe-03', 'lathe-04', 'imm-01', 'imm-02', 'imm-03'];
    expect(derived.machineState.map((r) => [r.device, r.tag])).toEqual(
      machines.map((m) => [m, 'machine_state']),
    );
    // The raw state code keeps its tag; the derived state has its own.
    expect(derived.oee.every((o) => derived.machineState.some((m) => m.device === o.device))).toBe(true);
    expect(derived.oee.map((o) => [o.device, o.idealCycleTime, o.totalCount, o.scrapCount])).toEqual([
      ['lathe-01', 45_000, 'part_total', 'scrap_total'],
      ['lathe-02', 45_000, 'part_total', 'scrap_total'],
      ['lathe-03', 38_000, 'part_total', 'scrap_total'],
      ['lathe-04', 40_000, 'part_total', 'scrap_total'],
      ['imm-01', 1750, 'part_total', 'reject_total'], // 14 s shot, 8 cavities
      ['imm-02', 4500, 'part_total', 'reject_total'],
      ['imm-03', 11_000, 'part_total', 'reject_total'],
    ]);
    for (const oee of derived.oee) {
      expect(oee.timezone).toBe('Asia/Shanghai');
      expect(oee.shifts).toEqual([
        { name: 'day', start: '08:00', end: '20:00' },
        { name: 'night', start: '20:00', end: '08:00' },
      ]);
    }
    const counter = (device: string, tag: string) =>
      derived.counters.find((c) => c.device === device && c.tag === tag);
    expect(counter('lathe-03', 'part_count')).toEqual({
      device: 'lathe-03',
      tag: 'part_count',
      output: 'part_total',
      rollover: 65535,
    });
    expect(counter('imm-01', 'reject_count')?.rollover).toBe(65535);
    expect(counter('packing-line-01', 'good_count')?.rollover).toBe(4294967295);
    const counted = plant.devices.flatMap((d) => d.tags.filter((t) => t.signal.counter)).length;
    expect(derived.counters).toHaveLength(counted);
  });

  it('maps every simulator state to a derived state; a spindle at rest or an alarm overrides', () => {
    const { derived } = load(createPlant('yongkang-cups', 1));
    const lathe = derived.machineState.find((r) => r.device === 'lathe-01')!;
    const imm = derived.machineState.find((r) => r.device === 'imm-01')!;
    const evaluate = (rule: typeof lathe, values: Record<string, number>) =>
      rule.rules.find((r) => holds(r.when, new Map(Object.entries(values))))?.state ?? rule.otherwise;
    const expected = {
      off: 'planned_stop',
      idle: 'planned_stop',
      warmup: 'idle',
      running: 'running',
      setup: 'idle',
      starved: 'idle',
      fault: 'fault',
      maintenance: 'planned_stop',
    };
    MACHINE_STATES.forEach((name, code) => {
      expect([name, evaluate(lathe, { state: code, alarm_code: 0, spindle_speed: 2400 })]).toEqual([
        name,
        expected[name],
      ]);
      expect([name, evaluate(imm, { state: code, alarm_code: 0 })]).toEqual([name, expected[name]]);
    });
    expect(evaluate(lathe, { state: 3, alarm_code: 0, spindle_speed: 0 })).toBe('idle');
    expect(evaluate(lathe, { state: 3, alarm_code: 1203, spindle_speed: 2400 })).toBe('fault');
  });

  it('leaves out the devices of a protocol the simulator does not serve, and their derived data', () => {
    const plant = createPlant('yongkang-cups', 1);
    const yaml = simulatorGatewayConfigYaml({ plant, modbus: ENDPOINTS.modbus });
    const config = validateGatewayConfig(parseYamlText(yaml, FILE), PLUGINS);
    expect(config.connections.map((c) => c.id)).toEqual(['sim-modbus']);
    expect(devicesOf(config).map((d) => d.id)).toEqual(
      plant.devices.filter((d) => d.protocol === 'modbus').map((d) => d.id),
    );
    expect(config.derived.machineState).toEqual([]);
    expect(config.derived.oee).toEqual([]);
    expect(config.derived.counters.map((c) => c.device)).toEqual([
      'press-01',
      'press-01',
      'press-02',
      'press-02',
    ]);
  });

  it('refuses a config without a sink', () => {
    const plant = createPlant('yongkang-cups', 1);
    expect(() => simulatorGatewayConfig({ plant, ...ENDPOINTS }, { embedded: false })).toThrow(
      'a gateway config needs a sink',
    );
  });
});
