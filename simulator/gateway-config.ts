/**
 * A gateway config that reads a running simulator: one connection per protocol endpoint, every
 * device and tag exactly as the plant definition serves it, and the derived data of the demo
 * (machine state of the lathes and moulding machines, counter totals, OEE per shift). Pure: the
 * plant and the endpoints in, the plain config object (or its YAML) out; `validateGatewayConfig`
 * checks it like any plant.yaml.
 */
import { Document, isScalar, isSeq, visit } from 'yaml';
import { DAY_SHIFT_START, NIGHT_SHIFT_START } from './model/calendar.ts';
import { type MachineState, stateCode } from './model/timeline.ts';
import type {
  DeviceEndpoint,
  MachineKind,
  ModbusAddress,
  ModbusTable,
  PlantDefinition,
  SimDevice,
  SimTag,
  TagAddress,
  WordOrder,
} from './plant/types.ts';

/** What the config needs of a running simulator (a `RunningSimulator` fits). */
export interface SimulatorEndpoints {
  plant: { definition: PlantDefinition; devices: readonly SimDevice[] };
  opcua?: { endpointUrl: string };
  modbus?: { host: string; port: number };
  /** `embedded`: the simulator's own broker (aedes), which speaks MQTT 3.1.1 only. */
  mqtt?: { url: string; embedded?: boolean };
}

export interface GatewayConfigOptions {
  /** Default `sim-gateway`. */
  gatewayId?: string;
  /** gateway.dataDir: relative to the config file (default `.`). */
  dataDir?: string;
  /** OPC UA client PKI folder (default `<dataDir>/pki`); the collector resolves it from the working directory. */
  pkiDir?: string;
  /** Port of /healthz, /readyz, /metrics on 127.0.0.1 (default 9273; 0 = any free port). */
  httpPort?: number;
  /** Write to the embedded store (default true). */
  embedded?: boolean;
  /** Also write to this InfluxDB 1.x database. */
  influx?: { url: string; database: string };
  /** Also write to this VictoriaMetrics (it keeps no attestations: another sink must). */
  victoriametrics?: { url: string };
  /** Also send the attestations to the bureau's platform (`shugai serve`) at this URL: a central sink. */
  centralUrl?: string;
  /** Modbus poll and OPC UA publishing interval (default 1000 ms). */
  intervalMs?: number;
}

/** Machines whose state, counter totals and OEE the demo derives. */
const STATE_KINDS: readonly MachineKind[] = ['lathe', 'imm'];
/**
 * The derived state's tag. Not `state` (the derived default): that is the machines' own state code,
 * and the engine ignores raw samples of a tag it writes.
 */
export const STATE_OUTPUT = 'machine_state';

const MODBUS_TABLES: Record<ModbusTable, string> = {
  coil: 'coil',
  'discrete-input': 'discrete',
  holding: 'holding',
  input: 'input',
};
/** The simulator names 64-bit orders by their 32-bit pattern (README); the collector spells out 8 bytes. */
const ORDER_64: Record<WordOrder, string> = {
  ABCD: 'ABCDEFGH',
  CDAB: 'GHEFCDAB',
  BADC: 'BADCFEHG',
  DCBA: 'HGFEDCBA',
};

type Plain = Record<string, unknown>;

export function simulatorGatewayConfig(sim: SimulatorEndpoints, options: GatewayConfigOptions = {}): Plain {
  const gatewayId = options.gatewayId ?? 'sim-gateway';
  const dataDir = options.dataDir ?? '.';
  const intervalMs = options.intervalMs ?? 1000;
  const connections: Plain[] = [];
  const read: SimDevice[] = [];
  const add = (protocol: SimDevice['protocol'], make: ((devices: SimDevice[]) => Plain) | undefined) => {
    const devices = sim.plant.devices.filter((d) => d.protocol === protocol);
    if (!make || devices.length === 0) return;
    connections.push(make(devices));
    read.push(...devices);
  };
  const { opcua, modbus, mqtt } = sim;
  const pkiDir = options.pkiDir ?? `${dataDir}/pki`;
  add('opcua', opcua && ((devices) => opcuaConnection(opcua.endpointUrl, pkiDir, intervalMs, devices)));
  add('modbus', modbus && ((devices) => modbusConnection(modbus, intervalMs, devices)));
  add('mqtt', mqtt && ((devices) => mqttConnection(broker(mqtt, `${gatewayId}-mqtt`), devices)));
  add(
    'sparkplugb',
    mqtt && ((devices) => sparkplugConnection(broker(mqtt, `${gatewayId}-spb`), gatewayId, devices)),
  );

  const sinks: Plain[] = [];
  if (options.embedded !== false) sinks.push({ name: 'embedded', type: 'embedded', file: 'samples.db' });
  if (options.influx) {
    sinks.push({
      name: 'influx',
      type: 'influxdb',
      version: 1,
      url: options.influx.url,
      database: options.influx.database,
    });
  }
  if (options.victoriametrics)
    sinks.push({ name: 'victoriametrics', type: 'victoriametrics', url: options.victoriametrics.url });
  if (sinks.length === 0) throw new Error('a gateway config needs a sink: the embedded store or InfluxDB');
  if (options.centralUrl !== undefined)
    sinks.push({ name: 'central', type: 'central', url: options.centralUrl });

  return {
    gateway: { id: gatewayId, name: `${sim.plant.definition.title} (simulated)`, dataDir },
    http: { host: '127.0.0.1', port: options.httpPort ?? 9273 },
    sinks,
    derived: derived(sim.plant.definition, read),
    connections,
  };
}

const scalars = (node: unknown): boolean => isScalar(node) || (isSeq(node) && node.items.every(isScalar));

/** The config as YAML, with a header saying where it comes from. */
export function simulatorGatewayConfigYaml(
  sim: SimulatorEndpoints,
  options: GatewayConfigOptions = {},
): string {
  const header = [
    `# Gateway config generated from the simulated plant "${sim.plant.definition.scenario}".`,
    '# Run it against the same simulator with: shugai gateway --config <this file>',
  ];
  const doc = new Document(simulatorGatewayConfig(sim, options), { aliasDuplicateObjects: false });
  // Lists of scalars and list entries made only of scalars on one line each, as in the sample configs.
  visit(doc, {
    Seq(_key, node) {
      if (scalars(node)) node.flow = true;
    },
    Map(_key, node, path) {
      if (isSeq(path.at(-1)) && node.items.every((pair) => scalars(pair.value))) node.flow = true;
    },
  });
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}

function opcuaConnection(endpoint: string, pkiDir: string, intervalMs: number, devices: SimDevice[]): Plain {
  return {
    id: 'sim-opcua',
    protocol: 'opcua',
    endpoint,
    // Security None only because the demo runs on loopback with a throw-away server: a real
    // plant uses SignAndEncrypt (the collector's default) with a trusted server certificate.
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir,
    groups: [{ id: 'default', mode: 'subscribe', intervalMs }],
    devices: devices.map((device) =>
      deviceConfig(device, {}, (tag) => ({
        nodeId: `nsu=${addressOf(tag, 'opcua').namespaceUri};${addressOf(tag, 'opcua').nodeId}`,
        // The state is the heartbeat of offline detection: report it every sample, changed or not.
        ...(tag.id === 'state' ? { deadband: { type: 'none' } } : {}),
      })),
    ),
  };
}

function modbusConnection(
  server: { host: string; port: number },
  intervalMs: number,
  devices: SimDevice[],
): Plain {
  return {
    id: 'sim-modbus',
    protocol: 'modbus',
    transport: 'tcp',
    host: server.host,
    port: server.port,
    addressBase: 0,
    pollIntervalMs: intervalMs,
    devices: devices.map((device) =>
      deviceConfig(device, { unitId: endpointOf(device, 'modbus').unitId }, (tag) =>
        modbusTag(addressOf(tag, 'modbus')),
      ),
    ),
  };
}

/** The broker fields of an MQTT or Sparkplug connection. */
function broker(mqtt: NonNullable<SimulatorEndpoints['mqtt']>, clientId: string): Plain {
  return { url: mqtt.url, clientId, ...(mqtt.embedded ? { protocolVersion: 4 } : {}) };
}

function mqttConnection(brokerFields: Plain, devices: SimDevice[]): Plain {
  return {
    id: 'sim-mqtt',
    protocol: 'mqtt',
    ...brokerFields,
    // One subscription per sensor: its topic, its fields, the simulated time in `ts`.
    subscriptions: devices.map((device) => ({
      topic: endpointOf(device, 'mqtt').topic,
      device: device.id,
      fields: Object.fromEntries(device.tags.map((tag) => [tag.id, `$.${addressOf(tag, 'mqtt').field}`])),
      timestamp: '$.ts',
      timestampFormat: 'epoch_ms',
    })),
    devices: devices.map((device) => deviceConfig(device, {}, () => ({}))),
  };
}

function sparkplugConnection(brokerFields: Plain, hostId: string, devices: SimDevice[]): Plain {
  return {
    id: 'sim-sparkplug',
    protocol: 'sparkplugb',
    ...brokerFields,
    groups: [...new Set(devices.map((d) => endpointOf(d, 'sparkplugb').groupId))],
    hostId,
    devices: devices.map((device) => {
      const { groupId, edgeNode, device: name } = endpointOf(device, 'sparkplugb');
      return deviceConfig(device, { group: groupId, node: edgeNode, device: name }, (tag) => ({
        metric: addressOf(tag, 'sparkplugb').metric,
      }));
    }),
  };
}

/** A device as the collectors' schemas share it; `where` is its protocol address, `address` each tag's. */
function deviceConfig(device: SimDevice, where: Plain, address: (tag: SimTag) => Plain): Plain {
  return {
    id: device.id,
    production: device.production,
    ...(device.asset === undefined ? {} : { asset: device.asset }),
    businessLinks: [...device.businessLinks],
    ...(device.description === undefined ? {} : { description: device.description }),
    ...where,
    tags: device.tags.map((tag) => ({
      id: tag.id,
      type: tag.type,
      ...(tag.unit === undefined ? {} : { unit: tag.unit }),
      ...(tag.description === undefined ? {} : { description: tag.description }),
      ...(tag.businessLinks === undefined ? {} : { businessLinks: [...tag.businessLinks] }),
      ...address(tag),
    })),
  };
}

function modbusTag(address: ModbusAddress): Plain {
  const bits = address.type === 'bool';
  const wide = address.type === 'float64';
  const multiRegister = !bits && address.type !== 'int16' && address.type !== 'uint16';
  return {
    register: MODBUS_TABLES[address.table],
    address: address.address,
    ...(bits ? {} : { dataType: address.type }),
    ...(multiRegister ? { order: wide ? ORDER_64[address.order] : address.order } : {}),
    ...(address.scale === 1 ? {} : { scale: address.scale }),
  };
}

function addressOf<P extends TagAddress['protocol']>(
  tag: SimTag,
  protocol: P,
): Extract<TagAddress, { protocol: P }> {
  if (tag.address.protocol !== protocol) throw new Error(`tag ${tag.id} has no ${protocol} address`);
  return tag.address as Extract<TagAddress, { protocol: P }>;
}

function endpointOf<P extends DeviceEndpoint['protocol']>(
  device: SimDevice,
  protocol: P,
): Extract<DeviceEndpoint, { protocol: P }> {
  if (device.endpoint.protocol !== protocol)
    throw new Error(`device ${device.id} has no ${protocol} endpoint`);
  return device.endpoint as Extract<DeviceEndpoint, { protocol: P }>;
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The plant's two shifts, in its local time (the simulator's calendar). */
const SHIFTS = [
  { name: 'day', start: hhmm(DAY_SHIFT_START), end: hhmm(NIGHT_SHIFT_START) },
  { name: 'night', start: hhmm(NIGHT_SHIFT_START), end: hhmm(DAY_SHIFT_START) },
];

const stateIs = (...states: MachineState[]) => {
  const conditions = states.map((s) => ({ tag: 'state', op: '==', value: stateCode(s) }));
  return conditions.length === 1 ? conditions[0] : { any: conditions };
};

const totalOf = (tag: SimTag) => `${tag.id.replace(/_count$/, '')}_total`;

/**
 * Counter totals for every counter tag (rollover at its width), and for the lathes and moulding
 * machines their state and OEE. Breaks, no shift and maintenance are planned stops; warm-up, tool
 * change and waiting for material count as idle, i.e. against availability, as in Nakajima's OEE.
 */
function derived(definition: PlantDefinition, devices: readonly SimDevice[]): Plain {
  const machineState: Plain[] = [];
  const counters: Plain[] = [];
  const oee: Plain[] = [];
  for (const device of devices) {
    for (const tag of device.tags) {
      if (tag.signal.counter) {
        counters.push({
          device: device.id,
          tag: tag.id,
          output: totalOf(tag),
          rollover: 2 ** tag.signal.counter.bits - 1,
        });
      }
    }
    const machine = definition.machines.find((m) => m.id === device.id);
    const has = (id: string) => device.tags.some((t) => t.id === id);
    if (!machine || !STATE_KINDS.includes(machine.kind) || !has('state')) continue;
    const running = stateIs('running');
    machineState.push({
      device: device.id,
      tag: STATE_OUTPUT,
      rules: [
        { state: 'fault', when: { any: [stateIs('fault'), { tag: 'alarm_code', op: '>', value: 0 }] } },
        {
          state: 'running',
          when: has('spindle_speed')
            ? { all: [running, { tag: 'spindle_speed', op: '>', value: 0 }] }
            : running,
        },
        { state: 'planned_stop', when: stateIs('off', 'idle', 'maintenance') },
      ],
      otherwise: 'idle',
    });
    const parts = device.tags.find((t) => t.signal.signal === 'parts' && t.signal.counter);
    const scrap = device.tags.find((t) => t.signal.signal === 'scrap' && t.signal.counter);
    if (!parts) continue;
    const idealSeconds = machine.cycleSeconds / machine.partsPerCycle;
    oee.push({
      device: device.id,
      totalCount: totalOf(parts),
      ...(scrap ? { scrapCount: totalOf(scrap) } : {}),
      idealCycleTime: `${Number(idealSeconds.toFixed(3))}s`,
      shifts: SHIFTS,
      timezone: 'Asia/Shanghai',
    });
  }
  return { machineState, counters, oee };
}
