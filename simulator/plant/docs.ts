/**
 * The address tables of simulator/README.md, generated from the plant data; a test checks that the
 * README contains them, so the documented map cannot drift from what the servers serve.
 */
import { statusName, typeName } from '../../assessment/register/schema.ts';
import { registerCount } from '../modbus/codec.ts';
import type { PlantDefinition, SimDevice, SimTag } from './types.ts';

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const of = (plant: PlantDefinition, protocol: SimDevice['protocol']) =>
  plant.devices.filter((d) => d.protocol === protocol);
const counterText = (tag: SimTag) =>
  tag.signal.counter
    ? `${tag.signal.counter.bits}-bit counter${tag.signal.counter.resetAtShiftStart ? ', reset at shift start' : ''}`
    : '';
const meaning = (tag: SimTag) => [tag.description ?? '', counterText(tag)].filter(Boolean).join('; ');

/** Modbus: one row per tag, by unit id then table then address. */
export function modbusMarkdown(plant: PlantDefinition): string {
  const rows = of(plant, 'modbus').flatMap((device) =>
    device.tags.map((tag) => {
      const a = tag.address;
      if (a.protocol !== 'modbus') throw new Error(`${device.id}.${tag.id} is not a Modbus tag`);
      const words = registerCount(a.type);
      return [
        a.unitId,
        device.id,
        a.table,
        words > 1 ? `${a.address}–${a.address + words - 1}` : a.address,
        a.type,
        a.type === 'bool' || words === 1 ? '' : a.order,
        a.scale,
        tag.unit ?? '',
        `${tag.id}: ${meaning(tag)}`,
      ];
    }),
  );
  return table(
    ['unit', 'device', 'table', 'address (0-based)', 'type', 'order', 'scale', 'unit', 'meaning'],
    rows,
  );
}

/** OPC UA: one row per variable. */
export function opcuaMarkdown(plant: PlantDefinition): string {
  const rows = of(plant, 'opcua').flatMap((device) =>
    device.tags.map((tag) => {
      const a = tag.address;
      if (a.protocol !== 'opcua') throw new Error(`${device.id}.${tag.id} is not an OPC UA tag`);
      return [device.id, `\`${a.nodeId}\``, a.dataType, tag.unit ?? '', `${tag.id}: ${meaning(tag)}`];
    }),
  );
  return table(['device', 'node id (ns = urn:shugai:simulator)', 'data type', 'unit', 'meaning'], rows);
}

/** MQTT JSON fields and Sparkplug B metrics: one row per tag. */
export function mqttMarkdown(plant: PlantDefinition): string {
  const rows = [...of(plant, 'mqtt'), ...of(plant, 'sparkplugb')].flatMap((device) =>
    device.tags.map((tag) => {
      const a = tag.address;
      if (a.protocol === 'mqtt')
        return [device.id, `\`${a.topic}\``, `\`${a.field}\``, tag.type, tag.unit ?? '', meaning(tag)];
      if (a.protocol === 'sparkplugb') {
        return [
          device.id,
          `Sparkplug \`${a.groupId}/${a.edgeNode}/${a.device}\``,
          `\`${a.metric}\` alias ${a.alias}`,
          a.datatype,
          tag.unit ?? '',
          meaning(tag),
        ];
      }
      throw new Error(`${device.id}.${tag.id} is not an MQTT tag`);
    }),
  );
  return table(['device', 'topic', 'field / metric', 'type', 'unit', 'meaning'], rows);
}

/** The equipment register: one row per entry, with the device that stands for it when networked. */
export function registerMarkdown(plant: PlantDefinition): string {
  const rows = plant.register.map((e) => [
    e.asset,
    e.name,
    `${typeName(e.type)} (${e.type})`,
    e.production ? '是' : '否',
    statusName(e.status),
    e.workshop ?? '',
    e.line ?? '',
    e.model ?? '',
    plant.devices.find((d) => d.asset === e.asset)?.id ?? '—',
  ]);
  return table(
    [
      '资产编号',
      '设备名称',
      '设备类型',
      '生产设备',
      '使用状态',
      '车间',
      '产线',
      '规格型号',
      `device (${plant.scenario})`,
    ],
    rows,
  );
}
