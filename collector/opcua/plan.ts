/**
 * The read plan: which tag goes in which group, with its effective monitoring settings (tag, else
 * group, else the defaults). Pure: config in, plan out; the namespace indices are resolved later,
 * per session.
 */
import type { DataType as TagType } from '../../core/model.ts';
import { type NodeAddress, parseNodeAddress } from './node-address.ts';
import type { Deadband, OpcuaConnectionConfig, OpcuaGroupConfig, TimestampSource } from './schema.ts';

export interface PlannedTag {
  device: string;
  tag: string;
  type: TagType;
  address: NodeAddress;
  /** The config's node id text, for log lines. */
  nodeIdText: string;
  samplingIntervalMs: number;
  queueSize: number;
  discardOldest: boolean;
  deadband: Deadband;
  timestamp: TimestampSource;
}

export interface PlannedGroup {
  id: string;
  mode: OpcuaGroupConfig['mode'];
  intervalMs: number;
  tags: PlannedTag[];
}

export const DEFAULT_DEADBAND: Deadband = { type: 'absolute', value: 0 };

export function planGroups(config: OpcuaConnectionConfig): PlannedGroup[] {
  const groups = new Map<string, PlannedGroup>();
  for (const group of config.groups) {
    groups.set(group.id, { id: group.id, mode: group.mode, intervalMs: group.intervalMs, tags: [] });
  }
  const firstGroup = config.groups[0]?.id as string;
  for (const device of config.devices) {
    for (const tag of device.tags) {
      const groupId = tag.group ?? device.group ?? firstGroup;
      const group = config.groups.find((g) => g.id === groupId);
      const planned = groups.get(groupId);
      if (!group || !planned)
        throw new Error(`device "${device.id}" tag "${tag.id}": unknown group "${groupId}"`);
      planned.tags.push({
        device: device.id,
        tag: tag.id,
        type: tag.type,
        address: parseNodeAddress(tag.nodeId),
        nodeIdText:
          typeof tag.nodeId === 'string' ? tag.nodeId : `nsu=${tag.nodeId.namespaceUri};${tag.nodeId.id}`,
        samplingIntervalMs: tag.samplingIntervalMs ?? group.samplingIntervalMs ?? group.intervalMs,
        queueSize: tag.queueSize ?? group.queueSize ?? 1,
        discardOldest: tag.discardOldest ?? group.discardOldest ?? true,
        deadband: tag.deadband ?? group.deadband ?? DEFAULT_DEADBAND,
        timestamp: tag.timestamp ?? group.timestamp ?? 'source',
      });
    }
  }
  return [...groups.values()].filter((group) => group.tags.length > 0);
}

/**
 * Splits a group's tags into CreateMonitoredItems batches: tags with the same monitoring settings
 * share a batch (one request carries one parameter set), at most `batchSize` per batch.
 */
export function monitoredItemBatches(tags: readonly PlannedTag[], batchSize: number): PlannedTag[][] {
  const bySettings = new Map<string, PlannedTag[]>();
  for (const tag of tags) {
    const key = JSON.stringify([
      tag.samplingIntervalMs,
      tag.queueSize,
      tag.discardOldest,
      dataChangeFilter(tag),
    ]);
    const list = bySettings.get(key) ?? [];
    list.push(tag);
    bySettings.set(key, list);
  }
  const batches: PlannedTag[][] = [];
  for (const list of bySettings.values()) {
    for (let i = 0; i < list.length; i += batchSize) batches.push(list.slice(i, i + batchSize));
  }
  return batches;
}

export interface FilterSpec {
  trigger: 'StatusValue' | 'StatusValueTimestamp';
  deadbandType: 'None' | 'Absolute' | 'Percent';
  deadbandValue: number;
}

/**
 * The DataChangeFilter of a tag. Deadband `none` reports every sample whose value, status or
 * timestamp changed; absolute 0 reports value or status changes only (drops exact duplicates).
 * Deadbands apply to numeric values only (Part 4, 7.22.2) and servers refuse them on Boolean or
 * String nodes, so those tags get the StatusValue trigger alone, which drops duplicates as well.
 */
export function dataChangeFilter(tag: Pick<PlannedTag, 'type' | 'deadband'>): FilterSpec {
  const { deadband } = tag;
  if (deadband.type === 'none')
    return { trigger: 'StatusValueTimestamp', deadbandType: 'None', deadbandValue: 0 };
  if (
    tag.type === 'boolean' ||
    tag.type === 'string' ||
    (deadband.type === 'absolute' && deadband.value === 0)
  ) {
    return { trigger: 'StatusValue', deadbandType: 'None', deadbandValue: 0 };
  }
  return {
    trigger: 'StatusValue',
    deadbandType: deadband.type === 'absolute' ? 'Absolute' : 'Percent',
    deadbandValue: deadband.value,
  };
}
