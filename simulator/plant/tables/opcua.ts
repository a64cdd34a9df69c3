/** OPC UA tag layouts of the machine types (documented in simulator/README.md). */
import type { OpcuaTagSpec } from '../devices.ts';
import { STATE_TEXT, U16, U16_SHIFT, U32 } from './common.ts';

const OPCUA_COMMON: OpcuaTagSpec[] = [
  {
    id: 'state',
    browseName: 'State',
    dataType: 'MachineState',
    signal: 'state',
    type: 'integer',
    description: STATE_TEXT,
  },
  {
    id: 'alarm_code',
    browseName: 'AlarmCode',
    dataType: 'UInt16',
    signal: 'alarm_code',
    type: 'integer',
    description: 'Active fault alarm code, 0 = none',
  },
  {
    id: 'alarm_text',
    browseName: 'AlarmText',
    dataType: 'String',
    signal: 'alarm_text',
    type: 'string',
    description: 'Active fault alarm text, empty = none',
  },
];

/** Lathe counters: older controllers (lathe-03, lathe-04) reset their part counter at shift start. */
export function latheTags(resetAtShiftStart: boolean): OpcuaTagSpec[] {
  const counter = resetAtShiftStart ? U16_SHIFT : U16;
  const when = resetAtShiftStart ? ', reset at shift start' : '';
  return [
    ...OPCUA_COMMON,
    {
      id: 'spindle_speed',
      browseName: 'SpindleSpeed',
      dataType: 'Double',
      signal: 'spindle_speed',
      type: 'number',
      unit: 'rpm',
      description: 'Spindle speed',
    },
    {
      id: 'spindle_temperature',
      browseName: 'SpindleTemperature',
      dataType: 'Double',
      signal: 'spindle_temp',
      type: 'number',
      unit: 'degC',
      description: 'Spindle bearing temperature',
    },
    {
      id: 'feed_override',
      browseName: 'FeedOverride',
      dataType: 'Double',
      signal: 'feed_override',
      type: 'number',
      unit: '%',
      description: 'Feed rate override',
    },
    {
      id: 'part_count',
      browseName: 'PartCounter',
      dataType: 'UInt16',
      signal: 'parts',
      counter,
      type: 'integer',
      unit: 'pcs',
      description: `Parts made, rolls over at 65535${when}`,
    },
    {
      id: 'scrap_count',
      browseName: 'ScrapCounter',
      dataType: 'UInt16',
      signal: 'scrap',
      counter,
      type: 'integer',
      unit: 'pcs',
      description: `Scrapped parts, rolls over at 65535${when}`,
    },
  ];
}

export const IMM_TAGS: OpcuaTagSpec[] = [
  ...OPCUA_COMMON,
  {
    id: 'cycle_time',
    browseName: 'CycleTime',
    dataType: 'Double',
    signal: 'cycle_time',
    type: 'number',
    unit: 's',
    description: 'Last cycle time',
  },
  {
    id: 'shot_count',
    browseName: 'ShotCounter',
    dataType: 'UInt32',
    signal: 'cycles',
    counter: U32,
    type: 'integer',
    description: 'Shots since commissioning',
  },
  {
    id: 'part_count',
    browseName: 'PartCounter',
    dataType: 'UInt16',
    signal: 'parts',
    counter: U16,
    type: 'integer',
    unit: 'pcs',
    description: 'Parts made (shots × cavities), rolls over at 65535',
  },
  {
    id: 'reject_count',
    browseName: 'RejectCounter',
    dataType: 'UInt16',
    signal: 'scrap',
    counter: U16,
    type: 'integer',
    unit: 'pcs',
    description: 'Rejected parts, rolls over at 65535',
  },
  {
    id: 'barrel_temperature',
    browseName: 'BarrelTemperature',
    dataType: 'Double',
    signal: 'barrel_temp',
    type: 'number',
    unit: 'degC',
    description: 'Barrel (nozzle zone) temperature',
  },
  {
    id: 'mould_temperature',
    browseName: 'MouldTemperature',
    dataType: 'Double',
    signal: 'mould_temp',
    type: 'number',
    unit: 'degC',
    description: 'Mould temperature',
  },
];

export const CUTTER_TAGS: OpcuaTagSpec[] = [
  ...OPCUA_COMMON,
  {
    id: 'cut_count',
    browseName: 'CutCounter',
    dataType: 'UInt32',
    signal: 'cycles',
    counter: U32,
    type: 'integer',
    description: 'Cuts since commissioning',
  },
  {
    id: 'blade_alarm',
    browseName: 'BladeAlarm',
    dataType: 'Boolean',
    signal: 'blade_alarm',
    type: 'boolean',
    description: 'Blade worn or broken',
  },
];

export const WELDER_TAGS: OpcuaTagSpec[] = [
  ...OPCUA_COMMON,
  {
    id: 'laser_power',
    browseName: 'LaserPower',
    dataType: 'Double',
    signal: 'laser_power',
    type: 'number',
    unit: 'W',
    description: 'Laser output power',
  },
  {
    id: 'gas_flow',
    browseName: 'ShieldingGasFlow',
    dataType: 'Double',
    signal: 'gas_flow',
    type: 'number',
    unit: 'L/min',
    description: 'Shielding gas (argon) flow',
  },
  {
    id: 'weld_count',
    browseName: 'WeldCounter',
    dataType: 'UInt32',
    signal: 'parts',
    counter: U32,
    type: 'integer',
    unit: 'pcs',
    description: 'Welded cups since commissioning',
  },
  {
    id: 'scrap_count',
    browseName: 'ScrapCounter',
    dataType: 'UInt16',
    signal: 'scrap',
    counter: U16,
    type: 'integer',
    unit: 'pcs',
    description: 'Failed welds, rolls over at 65535',
  },
];
