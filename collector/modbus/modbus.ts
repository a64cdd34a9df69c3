/**
 * The Modbus collector: one link, its devices polled on their intervals, each device backing off
 * on its own when it stops answering. Construction validates and resolves; start() does the I/O.
 */
import type { Device, Sample } from '../../core/model.ts';
import type { Collector, CollectorContext, CollectorPlugin } from '../collector.ts';
import { toModelDevices } from '../schema.ts';
import { backoffDelay } from './backoff.ts';
import { type CycleResult, type DeviceReads, readDevice } from './cycle.ts';
import { STATUS, statusText } from './errors.ts';
import { type LinkSettings, ModbusLink } from './link.ts';
import { BadRanges, type PlanLimits } from './planner.ts';
import { placeholder, resolveTags } from './resolve.ts';
import { type ModbusConnectionConfig, type ModbusDeviceConfig, modbusConnectionSchema } from './schema.ts';

/** Serial lines need a pause between a response and the next request; TCP servers do not. */
export const DEFAULT_SERIAL_DELAY_MS = 20;

interface DeviceState extends DeviceReads {
  pollIntervalMs: number;
  /** A cycle is queued or running: the next tick is an overrun. */
  pending: boolean;
  failures: number;
  backoffUntil: number;
  /** Tags with an active exception/malformed condition, to clear when they read good again. */
  failingTags: Map<string, string>;
}

export class ModbusCollector implements Collector {
  readonly id: string;
  readonly devices: readonly Device[];
  private readonly link: ModbusLink;
  private readonly states: DeviceState[];
  private readonly limits: PlanLimits;
  private readonly backoff: ModbusConnectionConfig['backoff'];
  private timers: NodeJS.Timeout[] = [];
  private running = false;

  constructor(
    config: ModbusConnectionConfig,
    private readonly context: CollectorContext,
  ) {
    this.id = config.id;
    this.devices = toModelDevices('modbus', config.devices);
    this.limits = {
      maxGap: config.maxGap,
      maxReadRegisters: config.maxReadRegisters,
      maxReadBits: config.maxReadBits,
    };
    this.backoff = config.backoff;
    this.states = config.devices.map((device) => deviceState(config, device));
    const subject = { device: config.id };
    this.link = new ModbusLink(linkSettings(config), {
      connected: () => {
        this.context.conditions.clear(subject, 'disconnected');
        for (const s of this.states) this.context.metrics.connected.set({ device: s.id }, 1);
      },
      disconnected: (reason, retryInMs) => {
        for (const s of this.states) this.context.metrics.connected.set({ device: s.id }, 0);
        this.context.linkLost?.(this.states.map((s) => s.id));
        this.context.conditions.raise(
          subject,
          'disconnected',
          `Modbus link ${this.link.label} is down: ${reason}`,
          {
            link: this.link.label,
            devices: this.states.map((s) => s.id),
            retryInMs,
          },
        );
      },
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.link.start();
    this.timers = this.states.map((state) => setInterval(() => this.tick(state), state.pollIntervalMs));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.link.stop();
    for (const s of this.states) this.context.metrics.connected.set({ device: s.id }, 0);
  }

  async readOnce(options: { deviceId?: string; timeoutMs?: number } = {}): Promise<Sample[]> {
    const targets = options.deviceId ? this.states.filter((s) => s.id === options.deviceId) : this.states;
    if (targets.length === 0) throw new Error(`connection "${this.id}" has no device "${options.deviceId}"`);
    const ownLink = !this.running;
    if (ownLink) this.link.start();
    try {
      if (!(await this.link.waitConnected(options.timeoutMs ?? 10_000))) {
        const time = this.context.now();
        return targets.flatMap((s) =>
          s.reads.map((r) => ({
            device: s.id,
            tag: r.ref.id,
            value: placeholder(r.ref.type),
            quality: 'bad' as const,
            statusCode: STATUS.disconnected,
            sourceTime: time,
            receivedAt: time,
          })),
        );
      }
      const results = await Promise.all(
        targets.map((s) =>
          this.link.exclusive(() => readDevice(this.link, s, this.limits, this.context.now)),
        ),
      );
      return results.flatMap((r) => r.samples);
    } finally {
      if (ownLink) await this.link.stop();
    }
  }

  private tick(state: DeviceState): void {
    const { metrics, conditions } = this.context;
    if (!this.link.connected) {
      metrics.errors.inc({ device: state.id, kind: 'disconnected' });
      return;
    }
    if (state.pending) {
      metrics.errors.inc({ device: state.id, kind: 'overrun' });
      conditions.raise(
        { device: state.id },
        'overrun',
        `device "${state.id}": a poll is still queued when the next is due; skipping (poll interval ${state.pollIntervalMs} ms too short for the link)`,
      );
      return;
    }
    conditions.clear({ device: state.id }, 'overrun');
    // A device backing off is skipped: it costs the link nothing until its next try.
    if (Date.now() < state.backoffUntil) return;
    state.pending = true;
    this.link
      .exclusive(() => readDevice(this.link, state, this.limits, this.context.now))
      .then((result) => this.deliver(state, result))
      .catch((error: unknown) =>
        this.context.log.error({ device: state.id, err: error }, 'Modbus poll failed'),
      )
      .finally(() => {
        state.pending = false;
      });
  }

  private deliver(state: DeviceState, result: CycleResult): void {
    if (!this.running) return;
    const { metrics, conditions } = this.context;
    const subject = { device: state.id };
    if (result.aborted) {
      const error = result.aborted;
      metrics.errors.inc({ device: state.id, kind: error.kind });
      if (error.kind !== 'disconnected') {
        state.failures += 1;
        const delay = backoffDelay(state.failures, this.backoff);
        state.backoffUntil = Date.now() + delay;
        conditions.raise(
          subject,
          'unreachable',
          `device "${state.id}" (unit ${state.unitId}): ${error.message}`,
          {
            statusCode: error.code,
            retryInMs: delay,
          },
        );
      }
    } else {
      state.failures = 0;
      conditions.clear(subject, 'unreachable');
    }
    const failing = new Map(result.tagErrors.map((e) => [e.tag, e]));
    for (const [tag, { error }] of failing) {
      metrics.errors.inc({ device: state.id, kind: error.kind });
      const kind = `${error.kind}:${error.code}`;
      const previous = state.failingTags.get(tag);
      if (previous !== undefined && previous !== kind) conditions.clear({ device: state.id, tag }, previous);
      state.failingTags.set(tag, kind);
      conditions.raise(
        { device: state.id, tag },
        kind,
        `device "${state.id}" tag "${tag}": ${error.message}`,
        {
          statusCode: error.code,
        },
      );
    }
    for (const sample of result.samples) {
      metrics.delivered(state.id, sample.quality);
      const kind = state.failingTags.get(sample.tag);
      if (kind !== undefined && sample.quality === 'good') {
        conditions.clear({ device: state.id, tag: sample.tag }, kind);
        state.failingTags.delete(sample.tag);
      }
    }
    if (result.samples.length > 0) this.context.onSamples(result.samples);
  }
}

function deviceState(config: ModbusConnectionConfig, device: ModbusDeviceConfig): DeviceState {
  return {
    id: device.id,
    unitId: device.unitId,
    timeoutMs: device.timeoutMs ?? config.timeoutMs,
    pollIntervalMs: device.pollIntervalMs ?? config.pollIntervalMs,
    reads: resolveTags(
      device.unitId,
      device.addressBase ?? config.addressBase,
      device.order ?? config.order,
      device.tags,
    ),
    bad: new BadRanges(),
    pending: false,
    failures: 0,
    backoffUntil: 0,
    failingTags: new Map(),
  };
}

function linkSettings(config: ModbusConnectionConfig): LinkSettings {
  const serial = config.transport !== 'tcp';
  const common = {
    interRequestDelayMs: config.interRequestDelayMs ?? (serial ? DEFAULT_SERIAL_DELAY_MS : 0),
    connectTimeoutMs: Math.max(3000, config.timeoutMs),
    backoff: config.backoff,
  };
  if (config.transport === 'rtu') {
    const { path, baudRate, parity, dataBits, stopBits } = config;
    return { transport: 'rtu', path, baudRate, parity, dataBits, stopBits, ...common };
  }
  return { transport: config.transport, host: config.host, port: config.port, ...common };
}

export const modbusPlugin: CollectorPlugin<ModbusConnectionConfig> = {
  protocol: 'modbus',
  schema: modbusConnectionSchema,
  devices: (config) => toModelDevices('modbus', config.devices),
  create: (config, context) => new ModbusCollector(config, context),
  describeStatus: (code, config, deviceId) => {
    const device = config.devices.find((d) => d.id === deviceId);
    return statusText(code, {
      unitId: device?.unitId ?? 0,
      timeoutMs: device?.timeoutMs ?? config.timeoutMs,
    });
  },
};
