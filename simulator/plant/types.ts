/**
 * The plant definition is data: machines (what the model simulates), meters and sensors, and the
 * devices a gateway can read (what the protocol servers expose), each tag with its signal in the
 * model and its address on the wire. A gateway config can be generated from `devices`.
 */
import type { RegisterEntry } from '../../assessment/register/schema.ts';
import type { BusinessLink, Device, Tag } from '../../core/model.ts';
import type { ShiftPattern } from '../model/calendar.ts';

export type MachineKind =
  | 'cutter'
  | 'press'
  | 'lathe'
  | 'welder'
  | 'furnace'
  | 'leak-tester'
  | 'polisher'
  | 'coating-line'
  | 'imm'
  | 'packing-line';

export interface AlarmDef {
  code: number;
  text: string;
  /** Alarms of a group drive a dedicated flag (e.g. a cutter's blade alarm). */
  group?: string;
}

/** Electrical power drawn per state, kW. `running` is the mean while producing. */
export interface PowerProfile {
  running: number;
  warmup: number;
  idle: number;
  off: number;
}

export interface BatchPhase {
  name: string;
  minutes: number;
  kw: number;
}

/** One production machine of the plant; simulated whether or not it is networked. */
export interface MachineDef {
  id: string;
  kind: MachineKind;
  description: string;
  businessLinks: BusinessLink[];
  /** Years in service: older machines stop more often and fault more. */
  age: number;
  shifts: ShiftPattern;
  /** Seconds per cycle (a cut, a stroke, a shot, a part, a furnace batch). */
  cycleSeconds: number;
  /** Parts made per cycle (mould cavities); 1 for most machines. */
  partsPerCycle: number;
  /** Minutes of warm-up after the machine was off (heaters, hydraulics, furnace ramp). 0 = none. */
  warmupMinutes: number;
  /** Chance that a stop begins within a given hour of work. */
  stopChancePerHour: number;
  /** Relative weights of the stop causes. */
  stopCauses: { setup: number; starved: number; fault: number };
  power: PowerProfile;
  /** Scrap share at the start and at the end of a week without maintenance. */
  scrap: readonly [number, number];
  /** Fault alarms this machine raises. */
  alarms: readonly AlarmDef[];
  /**
   * A batch machine (the vacuum furnace) runs through these phases in every cycle; power while
   * running is then the phase's, and cycleSeconds must equal their total.
   */
  phases?: readonly BatchPhase[];
  /** Nominal process values, by name (spindle rpm, setpoints, …), read by the signal functions. */
  nominal: Readonly<Record<string, number>>;
}

/** A three-phase energy meter over a group of machines plus a constant base load. */
export interface MeterDef {
  id: string;
  description: string;
  machines: string[];
  /** Lighting, ventilation, compressors etc. not modelled as machines, kW. */
  baseLoadKw: number;
  powerFactor: number;
}

export type SensorKind = 'climate' | 'coating-room' | 'compressed-air';
export interface SensorDef {
  id: string;
  kind: SensorKind;
  description: string;
  /** Machines whose running drives the reading (the coating line for VOC, all for compressed air). */
  machines: string[];
}

/** How a counter tag counts: bits before it rolls over, and whether it resets at every shift start. */
export interface CounterMode {
  bits: 16 | 32;
  resetAtShiftStart: boolean;
}

/** Where a tag's value comes from in the model: a source (machine, meter, sensor) and a signal. */
export interface SignalRef {
  source: string;
  signal: string;
  counter?: CounterMode;
}

export type OpcuaDataType =
  | 'Double'
  | 'Float'
  | 'UInt16'
  | 'UInt32'
  | 'Int32'
  | 'Boolean'
  | 'String'
  | 'MachineState';
export interface OpcuaAddress {
  protocol: 'opcua';
  namespaceUri: string;
  /** The node id without its namespace index, e.g. `s=Lathe01.SpindleSpeed`. */
  nodeId: string;
  browseName: string;
  dataType: OpcuaDataType;
}

export type ModbusTable = 'coil' | 'discrete-input' | 'holding' | 'input';
export type ModbusType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';
/** Byte order of a multi-register value, named for 32 bits; see README for the 64-bit layouts. */
export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
export interface ModbusAddress {
  protocol: 'modbus';
  unitId: number;
  table: ModbusTable;
  /** 0-based protocol address (PDU address). */
  address: number;
  type: ModbusType;
  order: WordOrder;
  /** Engineering value = raw × scale (1 when absent). */
  scale: number;
}

export interface MqttAddress {
  protocol: 'mqtt';
  topic: string;
  field: string;
  /** Decimals the JSON number is rounded to. */
  decimals: number;
}

export type SparkplugType = 'Int32' | 'UInt32' | 'Float' | 'Double' | 'Boolean' | 'String';
export interface SparkplugAddress {
  protocol: 'sparkplugb';
  groupId: string;
  edgeNode: string;
  device: string;
  metric: string;
  alias: number;
  datatype: SparkplugType;
}

export type TagAddress = OpcuaAddress | ModbusAddress | MqttAddress | SparkplugAddress;

export interface SimTag extends Tag {
  signal: SignalRef;
  address: TagAddress;
}

/** Where a gateway connects to reach the device (per protocol). */
export type DeviceEndpoint =
  | { protocol: 'opcua'; namespaceUri: string; objectNodeId: string }
  | { protocol: 'modbus'; unitId: number }
  | { protocol: 'mqtt'; topic: string }
  | { protocol: 'sparkplugb'; groupId: string; edgeNode: string; device: string };

export interface SimDevice extends Device {
  endpoint: DeviceEndpoint;
  tags: SimTag[];
}

export interface PlantDefinition {
  scenario: string;
  title: string;
  description: string;
  /** Simulated time before this instant is refused: counters and energy are counted from here. */
  epoch: string;
  machines: MachineDef[];
  meters: MeterDef[];
  sensors: SensorDef[];
  /** What the simulator serves: the networked devices, each machine with its register `asset`. */
  devices: SimDevice[];
  /** The enterprise's equipment register (设备台账): every machine, networked or not. */
  register: readonly RegisterEntry[];
}
