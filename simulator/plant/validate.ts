/**
 * Checks a plant definition before anything serves it: ids unique, every tag's signal source
 * known, no two tags on the same node, register, JSON field or Sparkplug alias; the equipment register
 * valid, and the devices mapped onto it as `shugai assess --register` requires.
 */
import { RegisterError } from '../../assessment/errors.ts';
import { matchRegister } from '../../assessment/register/match.ts';
import { registerSchema } from '../../assessment/register/schema.ts';
import { deviceSchema } from '../../core/model.ts';
import { registerCount } from '../modbus/codec.ts';
import type { PlantDefinition, TagAddress } from './types.ts';

export function validatePlant(plant: PlantDefinition): PlantDefinition {
  const problems: string[] = [];
  const sources = new Set([...plant.machines, ...plant.meters, ...plant.sensors].map((s) => s.id));
  const seenDevices = new Set<string>();
  const taken = new Map<string, string>();
  const claim = (slot: string, owner: string) => {
    const other = taken.get(slot);
    if (other) problems.push(`${owner} and ${other} both use ${slot}`);
    else taken.set(slot, owner);
  };
  for (const machine of plant.machines) {
    const phases = machine.phases?.reduce((sum, p) => sum + p.minutes * 60, 0);
    if (phases !== undefined && phases !== machine.cycleSeconds) {
      problems.push(
        `machine ${machine.id}: its phases last ${phases} s but its cycle ${machine.cycleSeconds} s`,
      );
    }
  }
  for (const device of plant.devices) {
    const parsed = deviceSchema.safeParse(device);
    if (!parsed.success)
      problems.push(`device ${device.id}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    if (seenDevices.has(device.id)) problems.push(`device id ${device.id} is used twice`);
    seenDevices.add(device.id);
    if (device.endpoint.protocol !== device.protocol)
      problems.push(`device ${device.id}: endpoint protocol differs`);
    if (device.endpoint.protocol === 'modbus') claim(`Modbus unit ${device.endpoint.unitId}`, device.id);
    const tagIds = new Set<string>();
    for (const tag of device.tags) {
      const owner = `${device.id}.${tag.id}`;
      if (tagIds.has(tag.id)) problems.push(`tag id ${owner} is used twice`);
      tagIds.add(tag.id);
      if (!sources.has(tag.signal.source))
        problems.push(`${owner}: unknown signal source ${tag.signal.source}`);
      if (tag.address.protocol !== device.protocol)
        problems.push(`${owner}: address protocol differs from device`);
      const a = tag.address;
      if (
        a.protocol === 'modbus' &&
        (a.table === 'coil' || a.table === 'discrete-input') !== (a.type === 'bool')
      ) {
        problems.push(`${owner}: a ${a.type} cannot live in the ${a.table} table`);
      }
      for (const slot of slots(a, device.id)) claim(slot, owner);
    }
  }
  problems.push(...registerProblems(plant));
  if (problems.length > 0) throw new Error(`plant ${plant.scenario} is invalid: ${problems.join('; ')}`);
  return plant;
}

/** The wire locations a tag occupies. */
function slots(address: TagAddress, device: string): string[] {
  switch (address.protocol) {
    case 'opcua':
      return [`OPC UA node ${address.nodeId}`];
    case 'mqtt':
      return [`MQTT ${address.topic} field ${address.field}`];
    case 'sparkplugb':
      return [
        `Sparkplug alias ${address.alias} of ${address.groupId}/${address.edgeNode}`,
        `Sparkplug metric ${address.metric} of ${device}`,
      ];
    case 'modbus': {
      const count = registerCount(address.type);
      return Array.from(
        { length: count },
        (_, i) => `Modbus unit ${address.unitId} ${address.table} ${address.address + i}`,
      );
    }
  }
}

function registerProblems(plant: PlantDefinition): string[] {
  const parsed = registerSchema.safeParse({ file: `${plant.scenario} register`, entries: plant.register });
  if (!parsed.success) return parsed.error.issues.map((i) => `register: ${i.path.join('.')}: ${i.message}`);
  const assets = plant.register.map((e) => e.asset);
  const twice = assets.filter((a, i) => assets.indexOf(a) !== i);
  if (twice.length > 0) return [`register: asset number ${twice.join(', ')} is used twice`];
  try {
    matchRegister(parsed.data, plant.devices, (d) => ({ file: plant.scenario, path: `device ${d.id}` }));
    return [];
  } catch (error) {
    if (error instanceof RegisterError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
}
