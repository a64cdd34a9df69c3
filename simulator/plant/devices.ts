/**
 * Builders for the devices a gateway reads: one table per device type maps tag ids to model
 * signals and wire addresses, so every lathe (or meter, or PLC) of a type exposes the same layout.
 */
import type { BusinessLink, DataType } from '../../core/model.ts';
import type {
  CounterMode,
  MachineDef,
  ModbusTable,
  ModbusType,
  OpcuaDataType,
  SimDevice,
  SimTag,
  SparkplugType,
  WordOrder,
} from './types.ts';

export const OPCUA_NAMESPACE_URI = 'urn:shugai:simulator';

/** What every tag row has: its id, the model signal, value type, unit and description. */
interface TagSpec {
  id: string;
  signal: string;
  type: DataType;
  unit?: string;
  description: string;
  counter?: CounterMode;
}

const describe = (spec: TagSpec): Omit<SimTag, 'address' | 'signal'> => ({
  id: spec.id,
  type: spec.type,
  ...(spec.unit === undefined ? {} : { unit: spec.unit }),
  description: spec.description,
});

const signalOf = (source: string, spec: TagSpec): SimTag['signal'] => ({
  source,
  signal: spec.signal,
  ...(spec.counter ? { counter: spec.counter } : {}),
});

export interface OpcuaTagSpec extends TagSpec {
  browseName: string;
  dataType: OpcuaDataType;
}

/** An OPC UA machine object `Objects/Plant/<object>` with one variable per tag, node ids `s=<object>.<browseName>`. */
export function opcuaDevice(machine: MachineDef, object: string, specs: readonly OpcuaTagSpec[]): SimDevice {
  return {
    id: machine.id,
    protocol: 'opcua',
    businessLinks: machine.businessLinks,
    production: true,
    description: machine.description,
    endpoint: { protocol: 'opcua', namespaceUri: OPCUA_NAMESPACE_URI, objectNodeId: `s=${object}` },
    tags: specs.map((spec) => ({
      ...describe(spec),
      signal: signalOf(machine.id, spec),
      address: {
        protocol: 'opcua',
        namespaceUri: OPCUA_NAMESPACE_URI,
        nodeId: `s=${object}.${spec.browseName}`,
        browseName: spec.browseName,
        dataType: spec.dataType,
      },
    })),
  };
}

export interface ModbusTagSpec extends TagSpec {
  table: ModbusTable;
  address: number;
  modbusType: ModbusType;
  order?: WordOrder;
  scale?: number;
}

interface DeviceInfo {
  id: string;
  description: string;
  businessLinks: BusinessLink[];
  production: boolean;
}

/** A Modbus device at one unit id; `source` is the machine or meter whose signals it serves. */
export function modbusDevice(
  info: DeviceInfo,
  unitId: number,
  source: string,
  specs: readonly ModbusTagSpec[],
): SimDevice {
  return {
    ...info,
    protocol: 'modbus',
    endpoint: { protocol: 'modbus', unitId },
    tags: specs.map((spec) => ({
      ...describe(spec),
      signal: signalOf(source, spec),
      address: {
        protocol: 'modbus',
        unitId,
        table: spec.table,
        address: spec.address,
        type: spec.modbusType,
        order: spec.order ?? 'ABCD',
        scale: spec.scale ?? 1,
      },
    })),
  };
}

export interface MqttTagSpec extends TagSpec {
  decimals?: number;
}

/** A JSON sensor publishing `{ "ts": <ms>, <field>: value, … }` to one topic; fields are the tag ids. */
export function mqttDevice(info: DeviceInfo, topic: string, specs: readonly MqttTagSpec[]): SimDevice {
  return {
    ...info,
    protocol: 'mqtt',
    endpoint: { protocol: 'mqtt', topic },
    tags: specs.map((spec) => ({
      ...describe(spec),
      signal: signalOf(info.id, spec),
      address: { protocol: 'mqtt', topic, field: spec.id, decimals: spec.decimals ?? 2 },
    })),
  };
}

export interface SparkplugTagSpec extends TagSpec {
  metric: string;
  datatype: SparkplugType;
}

/** A Sparkplug B device of an edge node; metric aliases are numbered from `firstAlias`. */
export function sparkplugDevice(
  machine: MachineDef,
  node: { groupId: string; edgeNode: string },
  firstAlias: number,
  specs: readonly SparkplugTagSpec[],
): SimDevice {
  return {
    id: machine.id,
    protocol: 'sparkplugb',
    businessLinks: machine.businessLinks,
    production: true,
    description: machine.description,
    endpoint: { protocol: 'sparkplugb', ...node, device: machine.id },
    tags: specs.map((spec, i) => ({
      ...describe(spec),
      signal: signalOf(machine.id, spec),
      address: {
        protocol: 'sparkplugb',
        ...node,
        device: machine.id,
        metric: spec.metric,
        alias: firstAlias + i,
        datatype: spec.datatype,
      },
    })),
  };
}
