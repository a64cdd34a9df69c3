/**
 * The Yongkang vacuum-cup plant in two states: after renovation (16 of its 20 simulated machines
 * networked, plus meters and sensors) and before it (4 lathes and the main meter). Its register
 * (register.ts) has 23 production devices in service: the rates are 16/23 and 4/23.
 */
import { modbusDevice, mqttDevice, opcuaDevice, sparkplugDevice } from './devices.ts';
import { MACHINES } from './machines.ts';
import { assetOf, YONGKANG_CUPS_REGISTER } from './register.ts';
import {
  FURNACE_PLC_TAGS,
  METER_FLOAT_ABCD,
  METER_FLOAT_CDAB,
  METER_SCALED_CDAB,
  PRESS_PLC_TAGS,
} from './tables/modbus.ts';
import {
  COATING_ROOM_TAGS,
  COMPRESSED_AIR_TAGS,
  PACKING_LINE_METRICS,
  WORKSHOP_CLIMATE_TAGS,
} from './tables/mqtt.ts';
import { CUTTER_TAGS, IMM_TAGS, latheTags, WELDER_TAGS } from './tables/opcua.ts';
import type { MachineDef, MeterDef, PlantDefinition, SensorDef, SimDevice } from './types.ts';

const EPOCH = '2024-01-01T00:00:00+08:00';
export const SPARKPLUG_NODE = { groupId: 'yongkang-cups', edgeNode: 'packing-edge' } as const;
export const MQTT_TOPIC_ROOT = 'factory/yongkang-cups/sensors';

const byId = (id: string): MachineDef => {
  const found = MACHINES.find((m) => m.id === id);
  if (!found) throw new Error(`no machine ${id}`);
  return found;
};
const ids = (kind: MachineDef['kind']) => MACHINES.filter((m) => m.kind === kind).map((m) => m.id);

const METERS: MeterDef[] = [
  {
    id: 'meter-main',
    description: 'Main incomer meter 总进线电表',
    machines: MACHINES.map((m) => m.id),
    baseLoadKw: 18,
    powerFactor: 0.9,
  },
  {
    id: 'meter-furnace',
    description: 'Vacuum furnace line meter 真空炉线电表',
    machines: ids('furnace'),
    baseLoadKw: 2,
    powerFactor: 0.95,
  },
  {
    id: 'meter-forming',
    description: 'Cutting, forming, turning and welding line meter 成型车削焊接线电表',
    machines: [...ids('cutter'), ...ids('press'), ...ids('lathe'), ...ids('welder')],
    baseLoadKw: 3,
    powerFactor: 0.86,
  },
];

const SENSORS: SensorDef[] = [
  { id: 'env-workshop-01', kind: 'climate', description: 'Workshop climate sensor 车间温湿度', machines: [] },
  {
    id: 'env-coating-01',
    kind: 'coating-room',
    description: 'Coating room VOC and climate sensor 喷涂间VOC',
    machines: ['coating-line-01'],
  },
  {
    id: 'air-01',
    kind: 'compressed-air',
    description: 'Compressed-air flow meter 压缩空气流量计',
    machines: [...ids('cutter'), ...ids('press'), ...ids('welder'), ...ids('imm')],
  },
];

const ENERGY = ['能耗管理'] as const;
const meterDevice = (id: string, unitId: number, tags: typeof METER_FLOAT_ABCD) => {
  const meter = METERS.find((m) => m.id === id)!;
  return modbusDevice(
    { id, description: meter.description, businessLinks: [...ENERGY], production: false },
    unitId,
    id,
    tags,
  );
};
const plcDevice = (id: string, unitId: number, tags: typeof FURNACE_PLC_TAGS) => {
  const machine = byId(id);
  return modbusDevice(
    { id, description: `${machine.description} PLC`, businessLinks: machine.businessLinks, production: true },
    unitId,
    id,
    tags,
  );
};
const sensorDevice = (id: string, tags: typeof WORKSHOP_CLIMATE_TAGS) => {
  const sensor = SENSORS.find((s) => s.id === id)!;
  return mqttDevice(
    { id, description: sensor.description, businessLinks: ['安全生产'], production: false },
    `${MQTT_TOPIC_ROOT}/${id}`,
    tags,
  );
};
const objectName = (id: string) =>
  id
    .replace(/^imm/, 'IMM')
    .replace(/^./, (c) => c.toUpperCase())
    .replace('-', '');
const lathe = (id: string) =>
  opcuaDevice(byId(id), objectName(id), latheTags(id === 'lathe-03' || id === 'lathe-04'));

const LATHES = ['lathe-01', 'lathe-02', 'lathe-03', 'lathe-04'].map(lathe);

/** A machine's device carries its register asset number; meters and sensors have none. */
const withAsset = (device: SimDevice): SimDevice => {
  const asset = assetOf(device.id);
  return asset === undefined ? device : { ...device, asset };
};

const AFTER: SimDevice[] = [
  ...LATHES,
  ...ids('imm').map((id) => opcuaDevice(byId(id), objectName(id), IMM_TAGS)),
  ...ids('cutter').map((id) => opcuaDevice(byId(id), objectName(id), CUTTER_TAGS)),
  ...ids('welder').map((id) => opcuaDevice(byId(id), objectName(id), WELDER_TAGS)),
  meterDevice('meter-main', 1, METER_FLOAT_ABCD),
  meterDevice('meter-furnace', 2, METER_SCALED_CDAB),
  meterDevice('meter-forming', 3, METER_FLOAT_CDAB),
  plcDevice('furnace-01', 11, FURNACE_PLC_TAGS),
  plcDevice('furnace-02', 12, FURNACE_PLC_TAGS),
  plcDevice('press-01', 21, PRESS_PLC_TAGS),
  plcDevice('press-02', 22, PRESS_PLC_TAGS),
  sensorDevice('env-workshop-01', WORKSHOP_CLIMATE_TAGS),
  sensorDevice('env-coating-01', COATING_ROOM_TAGS),
  sensorDevice('air-01', COMPRESSED_AIR_TAGS),
  sparkplugDevice(byId('packing-line-01'), SPARKPLUG_NODE, 10, PACKING_LINE_METRICS),
].map(withAsset);

const common = {
  epoch: EPOCH,
  machines: [...MACHINES],
  meters: METERS,
  sensors: SENSORS,
  register: YONGKANG_CUPS_REGISTER,
};

export const YONGKANG_CUPS: PlantDefinition = {
  ...common,
  scenario: 'yongkang-cups',
  title: 'Yongkang vacuum-cup plant after renovation 永康保温杯厂（改造后）',
  description:
    '23 production devices in service in the register, 20 of them simulated; 16 networked (lathes, moulding machines, cutters and welders over OPC UA; furnaces and presses over Modbus PLCs; the packing line over Sparkplug B), three energy meters over Modbus, climate, VOC and compressed-air sensors over MQTT.',
  devices: AFTER,
};

export const YONGKANG_CUPS_BEFORE: PlantDefinition = {
  ...common,
  scenario: 'yongkang-cups-before',
  title: 'Yongkang vacuum-cup plant before renovation 永康保温杯厂（改造前）',
  description:
    '23 production devices in service in the register, 20 of them simulated; only the 4 CNC lathes (OPC UA) and the main energy meter (Modbus) are networked.',
  devices: [...LATHES, meterDevice('meter-main', 1, METER_FLOAT_ABCD)].map(withAsset),
};
