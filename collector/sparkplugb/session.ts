/**
 * The host application's view of its edge nodes (Sparkplug 3.0 §5, §6.4): births define metrics
 * and aliases, seq must run 0–255 without gaps across all messages of a node, deaths turn metrics
 * bad. A pure state machine: messages and the time in, samples, problems and rebirth requests out.
 */
import { type Sample, type SampleValue, STATUS_NO_COMMUNICATION, type Tag } from '../../core/model.ts';
import { coerce } from '../mqtt/coerce.ts';
import type { Problem } from '../mqtt/problems.ts';
import { type Metric, type Payload, reinterpret } from './codec.ts';
import { addressKey, type SparkplugbConfig, sparkplugAddress } from './schema.ts';
import { type MessageType, sanitizeMetricName } from './topic.ts';

export { STATUS_NO_COMMUNICATION };

/** A rebirth to request from an edge node; `device` is the shugai device it is counted on. */
export interface RebirthRequest {
  group: string;
  node: string;
  device: string;
}

export interface Outcome {
  samples: Sample[];
  problems: Problem[];
  /** The edge node to ask for a rebirth (already rate-limited). */
  rebirth?: RebirthRequest;
  /** Shugai devices that came online (true) or went offline (false). */
  online: { device: string; online: boolean }[];
}

interface Target {
  device: string;
  tag: Tag;
  last?: SampleValue;
}

interface Binding {
  datatype?: number;
  /** The shugai tag this metric feeds; undefined for metrics nobody configured. */
  target?: Target;
}

interface Scope {
  /** The shugai device of this node or device, if configured. */
  device?: DeviceTags;
  online: boolean;
  byAlias: Map<number, Binding>;
  byName: Map<string, Binding>;
}

interface NodeState {
  group: string;
  node: string;
  /** Born and in sequence: its messages are trusted. */
  inSync: boolean;
  bdSeq?: number;
  seq: number;
  scope: Scope;
  devices: Map<string, Scope>;
  lastRebirthAt?: number;
}

interface DeviceTags {
  id: string;
  byMetric: Map<string, Tag>;
  bySanitized: Map<string, Tag>;
}

export class HostSession {
  /** Configured shugai devices by Sparkplug address. */
  private readonly targets = new Map<string, DeviceTags>();
  /** Nodes with at least one configured device, by group/node. */
  private readonly nodes = new Map<string, NodeState>();

  constructor(private readonly config: SparkplugbConfig) {
    for (const device of config.devices) {
      const address = sparkplugAddress(config, device);
      const byMetric = new Map<string, Tag>();
      const bySanitized = new Map<string, Tag>();
      for (const tag of device.tags) {
        if (tag.metric === undefined) bySanitized.set(tag.id, tag);
        else byMetric.set(tag.metric, tag);
      }
      const group = address.group as string;
      this.targets.set(addressKey(group, address.node, address.device), {
        id: device.id,
        byMetric,
        bySanitized,
      });
      const nodeKey = `${group}/${address.node}`;
      if (!this.nodes.has(nodeKey)) this.nodes.set(nodeKey, this.freshNode(group, address.node));
    }
  }

  /** The configured edge nodes. */
  edgeNodes(): { group: string; node: string }[] {
    return [...this.nodes.values()].map(({ group, node }) => ({ group, node }));
  }

  /** After a reconnect messages may have been missed: no node is trusted until it is born again. */
  desync(): void {
    for (const node of this.nodes.values()) node.inSync = false;
  }

  /** A rebirth request for the node if none was sent within the configured interval. */
  requestRebirth(group: string, node: string, now: number, device?: string): RebirthRequest | undefined {
    const state = this.nodes.get(`${group}/${node}`);
    if (!state) return undefined;
    if (state.lastRebirthAt !== undefined && now - state.lastRebirthAt < this.config.rebirthMinIntervalMs) {
      return undefined;
    }
    state.lastRebirthAt = now;
    return { group, node, device: device ?? this.label(state, undefined) };
  }

  /** Handles one edge message; `payload` is an Error when it did not decode. */
  handle(
    topic: { group: string; type: MessageType; node: string; device?: string },
    payload: Payload | Error,
    now: number,
  ): Outcome {
    const out: Outcome = { samples: [], problems: [], online: [] };
    const state = this.nodes.get(`${topic.group}/${topic.node}`);
    // Commands are ours or another host's; nodes nobody configured are not our business.
    if (!state || topic.type === 'NCMD' || topic.type === 'DCMD') return out;
    const label = this.label(state, topic.device);
    const problem = (kind: string, reason: string, message: string, detail: Record<string, unknown> = {}) =>
      out.problems.push({ device: label, kind, reason, message, detail: { ...where(topic), ...detail } });
    const rebirth = () => {
      const request = this.requestRebirth(state.group, state.node, now, label);
      if (request) out.rebirth = request;
    };

    if (payload instanceof Error) {
      problem('malformed_payload', 'undecodable', 'Sparkplug payload does not decode', {
        error: payload.message,
      });
      // Its seq is unknown, so the node's sequence can no longer be checked.
      if (topic.type !== 'NDEATH') {
        state.inSync = false;
        rebirth();
      }
      return out;
    }
    if (topic.type === 'NBIRTH') {
      this.nodeBirth(state, payload, now, out);
      return out;
    }
    if (topic.type === 'NDEATH') {
      const bdSeq = metricNumber(payload, 'bdSeq');
      // A will from an older session (its bdSeq differs) must not kill the current one.
      if (state.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== state.bdSeq) return out;
      this.die(state.scope, now, out);
      for (const device of state.devices.values()) this.die(device, now, out);
      state.devices.clear();
      state.inSync = false;
      return out;
    }
    const expected = (state.seq + 1) % 256;
    // A device death is believed even out of sequence or sync: marking values bad is the safe side.
    if (topic.type === 'DDEATH' && (!state.inSync || payload.seq !== expected)) {
      this.deviceDeath(state, topic.device as string, now, out);
    }
    if (!state.inSync) {
      problem('data_before_birth', 'not_born', 'message from an edge node before its birth certificate', {
        type: topic.type,
      });
      rebirth();
      return out;
    }
    if (payload.seq !== expected) {
      problem('seq_gap', 'seq_gap', 'Sparkplug sequence gap: messages were lost', {
        expected,
        got: payload.seq ?? null,
      });
      state.inSync = false;
      rebirth();
      return out;
    }
    state.seq = expected;
    const deviceName = topic.device as string;
    switch (topic.type) {
      case 'DBIRTH': {
        const scope = this.scope(state.group, state.node, deviceName);
        state.devices.set(deviceName, scope);
        this.bind(scope, payload, now, out);
        break;
      }
      case 'DDEATH':
        this.deviceDeath(state, deviceName, now, out);
        break;
      case 'NDATA':
      case 'DDATA': {
        const scope = topic.type === 'NDATA' ? state.scope : state.devices.get(deviceName);
        if (!scope?.online) {
          problem('data_before_birth', 'device_not_born', 'device data before its birth certificate');
          rebirth();
          break;
        }
        const resolved = resolve(scope, payload.metrics);
        if (resolved.unknown.length > 0) {
          problem('unknown_alias', 'unknown_alias', 'metric alias or name not in the birth certificate', {
            unknown: resolved.unknown.slice(0, 5),
          });
          rebirth();
          break;
        }
        for (const [metric, binding] of resolved.bound) this.emit(binding, metric, payload, now, out);
        break;
      }
    }
    return out;
  }

  private nodeBirth(state: NodeState, payload: Payload, now: number, out: Outcome): void {
    // A node birth is followed by its device births; until then device data is not trusted.
    state.devices.clear();
    state.inSync = true;
    state.seq = payload.seq ?? 0;
    const bdSeq = metricNumber(payload, 'bdSeq');
    if (bdSeq === undefined) delete state.bdSeq;
    else state.bdSeq = bdSeq;
    state.scope = this.scope(state.group, state.node, undefined);
    this.bind(state.scope, payload, now, out);
  }

  private deviceDeath(state: NodeState, device: string, now: number, out: Outcome): void {
    const scope = state.devices.get(device);
    if (scope) this.die(scope, now, out);
    state.devices.delete(device);
  }

  /** Takes a birth certificate's metrics as the scope's definitions, and their values as samples. */
  private bind(scope: Scope, payload: Payload, now: number, out: Outcome): void {
    const tags = scope.device;
    for (const metric of payload.metrics) {
      if (metric.name === undefined) continue;
      const tag = tags?.byMetric.get(metric.name) ?? tags?.bySanitized.get(sanitizeMetricName(metric.name));
      const binding: Binding = {};
      if (metric.datatype !== undefined) binding.datatype = metric.datatype;
      if (tag && tags) binding.target = { device: tags.id, tag };
      scope.byName.set(metric.name, binding);
      if (metric.alias !== undefined) scope.byAlias.set(metric.alias, binding);
      this.emit(binding, metric, payload, now, out);
    }
    scope.online = true;
    if (tags) out.online.push({ device: tags.id, online: true });
  }

  private emit(binding: Binding, metric: Metric, payload: Payload, now: number, out: Outcome): void {
    const target = binding.target;
    // Transient metrics are, by the spec, not to be historized.
    if (!target || metric.isTransient) return;
    const sourceTime = metric.timestamp ?? payload.timestamp ?? now;
    const raw =
      metric.datatype === undefined && binding.datatype !== undefined
        ? reinterpret(metric.value, binding.datatype)
        : metric.value;
    if (raw === null) {
      // A null value says the value is unknown: keep the last one, marked bad.
      if (target.last !== undefined) out.samples.push(sample(target, target.last, 'bad', sourceTime, now));
      return;
    }
    const value = coerce(raw, target.tag.type);
    if ('error' in value) {
      out.problems.push({
        device: target.device,
        tag: target.tag.id,
        kind: 'malformed_payload',
        reason: 'wrong_type',
        message: `metric value does not fit type ${target.tag.type}`,
        detail: { error: value.error },
      });
      return;
    }
    if (!metric.isHistorical) target.last = value.value;
    out.samples.push(sample(target, value.value, 'good', sourceTime, now));
  }

  /** Every metric of a dead scope: its last value, bad, now. */
  private die(scope: Scope, now: number, out: Outcome): void {
    if (!scope.online) return;
    scope.online = false;
    const seen = new Set<Binding>();
    for (const binding of scope.byName.values()) {
      if (seen.has(binding)) continue;
      seen.add(binding);
      const target = binding.target;
      if (target?.last !== undefined) out.samples.push(sample(target, target.last, 'bad', now, now));
    }
    if (scope.device) {
      out.online.push({ device: scope.device.id, online: false });
      out.problems.push({
        device: scope.device.id,
        kind: 'death',
        reason: 'death',
        message: 'Sparkplug death certificate: values are stale',
        detail: {},
      });
    }
  }

  private scope(group: string, node: string, device: string | undefined): Scope {
    const target = this.targets.get(addressKey(group, node, device));
    return { ...(target ? { device: target } : {}), online: false, byAlias: new Map(), byName: new Map() };
  }

  private freshNode(group: string, node: string): NodeState {
    return {
      group,
      node,
      inSync: false,
      seq: 0,
      scope: this.scope(group, node, undefined),
      devices: new Map(),
    };
  }

  /** The shugai device problems of a message are counted on: its own, else its node's, else the first of the node. */
  private label(state: NodeState, device: string | undefined): string {
    const own =
      device === undefined ? undefined : this.targets.get(addressKey(state.group, state.node, device));
    if (own) return own.id;
    if (state.scope.device) return state.scope.device.id;
    const prefix = `${state.group}/${state.node}/`;
    for (const [key, target] of this.targets) if (key.startsWith(prefix)) return target.id;
    return this.config.id;
  }
}

function resolve(
  scope: Scope,
  metrics: Metric[],
): { bound: [Metric, Binding][]; unknown: (string | number)[] } {
  const bound: [Metric, Binding][] = [];
  const unknown: (string | number)[] = [];
  for (const metric of metrics) {
    const binding =
      metric.alias !== undefined
        ? scope.byAlias.get(metric.alias)
        : metric.name !== undefined
          ? scope.byName.get(metric.name)
          : undefined;
    if (binding) bound.push([metric, binding]);
    else unknown.push(metric.alias ?? metric.name ?? '?');
  }
  return { bound, unknown };
}

function sample(
  target: Target,
  value: SampleValue,
  quality: 'good' | 'bad',
  sourceTime: number,
  now: number,
): Sample {
  return {
    device: target.device,
    tag: target.tag.id,
    value,
    quality,
    statusCode: quality === 'good' ? 0 : STATUS_NO_COMMUNICATION,
    sourceTime,
    receivedAt: now,
  };
}

function metricNumber(payload: Payload, name: string): number | undefined {
  const value = payload.metrics.find((m) => m.name === name)?.value;
  return typeof value === 'number' || typeof value === 'bigint' ? Number(value) : undefined;
}

function where(topic: {
  group: string;
  type: string;
  node: string;
  device?: string;
}): Record<string, string> {
  return {
    group: topic.group,
    node: topic.node,
    ...(topic.device === undefined ? {} : { sparkplugDevice: topic.device }),
  };
}
