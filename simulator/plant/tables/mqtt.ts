/** MQTT JSON sensor fields and Sparkplug B metrics (documented in simulator/README.md). */
import type { MqttTagSpec, SparkplugTagSpec } from '../devices.ts';
import { STATE_TEXT, U32 } from './common.ts';

const CLIMATE_TAGS: MqttTagSpec[] = [
  {
    id: 'temperature',
    signal: 'temperature',
    type: 'number',
    unit: 'degC',
    description: 'Air temperature',
    decimals: 1,
  },
  {
    id: 'humidity',
    signal: 'humidity',
    type: 'number',
    unit: '%RH',
    description: 'Relative humidity',
    decimals: 1,
  },
];

export const WORKSHOP_CLIMATE_TAGS: MqttTagSpec[] = [
  ...CLIMATE_TAGS,
  {
    id: 'pressure_hpa',
    signal: 'pressure_hpa',
    type: 'number',
    unit: 'hPa',
    description: 'Air pressure',
    decimals: 1,
  },
];

export const COATING_ROOM_TAGS: MqttTagSpec[] = [
  ...CLIMATE_TAGS,
  {
    id: 'voc_ppm',
    signal: 'voc_ppm',
    type: 'number',
    unit: 'ppm',
    description: 'Volatile organic compounds (solvent)',
    decimals: 1,
  },
  { id: 'voc_alarm', signal: 'voc_alarm', type: 'boolean', description: 'VOC at or above 40 ppm' },
];

export const COMPRESSED_AIR_TAGS: MqttTagSpec[] = [
  {
    id: 'flow',
    signal: 'flow_m3min',
    type: 'number',
    unit: 'm3/min',
    description: 'Compressed-air flow',
    decimals: 2,
  },
  {
    id: 'pressure',
    signal: 'pressure_bar',
    type: 'number',
    unit: 'bar',
    description: 'Compressed-air header pressure',
    decimals: 2,
  },
];

export const PACKING_LINE_METRICS: SparkplugTagSpec[] = [
  {
    id: 'state',
    metric: 'Status/State',
    datatype: 'Int32',
    signal: 'state',
    type: 'integer',
    description: STATE_TEXT,
  },
  {
    id: 'running',
    metric: 'Status/Running',
    datatype: 'Boolean',
    signal: 'running',
    type: 'boolean',
    description: 'Packing',
  },
  {
    id: 'alarm_code',
    metric: 'Status/AlarmCode',
    datatype: 'Int32',
    signal: 'alarm_code',
    type: 'integer',
    description: 'Active fault alarm code, 0 = none',
  },
  {
    id: 'good_count',
    metric: 'Production/GoodCount',
    datatype: 'UInt32',
    signal: 'good',
    counter: U32,
    type: 'integer',
    unit: 'pcs',
    description: 'Good cups packed since commissioning',
  },
  {
    id: 'reject_count',
    metric: 'Production/RejectCount',
    datatype: 'UInt32',
    signal: 'scrap',
    counter: U32,
    type: 'integer',
    unit: 'pcs',
    description: 'Cups rejected at packing since commissioning',
  },
  {
    id: 'speed',
    metric: 'Production/Speed',
    datatype: 'Float',
    signal: 'speed',
    type: 'number',
    unit: 'pcs/min',
    description: 'Line speed',
  },
  {
    id: 'power_kw',
    metric: 'Energy/Power',
    datatype: 'Double',
    signal: 'power_kw',
    type: 'number',
    unit: 'kW',
    description: 'Line power',
  },
];
