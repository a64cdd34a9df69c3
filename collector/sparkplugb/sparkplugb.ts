/**
 * The Sparkplug B collector, a Sparkplug host application: subscribes to its groups, publishes its
 * STATE (3.0 JSON or 2.2 ONLINE/OFFLINE, with the offline one as MQTT will), follows births, deaths
 * and sequence numbers (session.ts) and asks edge nodes for a rebirth when it lost track.
 * Documented in README.md.
 */
import type { Device, Sample } from '../../core/model.ts';
import type { Collector, CollectorContext, CollectorPlugin } from '../collector.ts';
import { MqttLink, type Will } from '../mqtt/connection.ts';
import { LatestValues, readClientId } from '../mqtt/latest.ts';
import { ProblemReporter } from '../mqtt/problems.ts';
import { toModelDevices } from '../schema.ts';
import { DataType, decodePayload, encodePayload, type Payload } from './codec.ts';
import { type SparkplugbConfig, sparkplugbConfigSchema } from './schema.ts';
import { HostSession, type Outcome, type RebirthRequest, STATUS_NO_COMMUNICATION } from './session.ts';
import { NAMESPACE, ncmdTopic, parseTopic } from './topic.ts';

export class SparkplugbCollector implements Collector {
  readonly id: string;
  readonly devices: readonly Device[];
  private readonly session: HostSession;
  private readonly latest: LatestValues;
  private readonly problems: ProblemReporter;
  private link: MqttLink | undefined;
  private stopping = false;
  /** The timestamp of the current STATE birth and will (3.0 requires both to carry the same). */
  private stateTime = 0;

  constructor(
    private readonly config: SparkplugbConfig,
    private readonly context: CollectorContext,
  ) {
    this.id = config.id;
    this.devices = toModelDevices('sparkplugb', config.devices);
    this.session = new HostSession(config);
    this.latest = new LatestValues(this.devices, context.metrics);
    this.problems = new ProblemReporter(context);
  }

  async start(): Promise<void> {
    if (this.link) return;
    this.stopping = false;
    this.link = this.createLink(this.config.clientId, true);
    await this.link.start();
  }

  /**
   * Waits until every tag has a value or the timeout passes. When not started, connects with its
   * own client id and no STATE (it must not pose as the primary host) and asks the configured edge
   * nodes for a rebirth, whose certificates carry every current value.
   */
  async readOnce(options: { deviceId?: string; timeoutMs?: number } = {}): Promise<Sample[]> {
    const own = this.link ? undefined : this.createLink(readClientId(this.config.clientId), false);
    return this.latest.readOnce(options, this.id, own);
  }

  /** Publishes the STATE offline message (as the will would) and disconnects. */
  async stop(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.stopping = true;
    const state = this.stateMessage(false);
    await link?.stop(
      state ? () => link.publish(state.topic, state.payload, { qos: 1, retain: true }) : undefined,
    );
    for (const device of this.devices) this.context.metrics.connected.set({ device: device.id }, 0);
  }

  private createLink(clientId: string, primary: boolean): MqttLink {
    const { config, context } = this;
    const hostState = primary && config.hostId !== undefined;
    const link: MqttLink = new MqttLink({
      connectionId: config.id,
      broker: config,
      clientId,
      // Sparkplug requires clean sessions (spec 3.0 tck-id-message-flow-phid-sparkplug-clean-session);
      // what was missed while away is recovered by rebirth requests, not by a broker queue.
      session: { clean: true },
      ...(hostState
        ? {
            will: () => {
              this.stateTime = context.now();
              return this.stateMessage(false) as Will;
            },
          }
        : {}),
      log: context.log,
      conditions: context.conditions,
      ...(context.relieved ? { relieved: context.relieved } : {}),
      onConnect: () => {
        this.onConnect(link, hostState).catch((error: unknown) =>
          context.conditions.raise({ device: config.id }, 'subscribe_failed', 'Sparkplug host start failed', {
            error: (error as Error).message,
          }),
        );
      },
      onMessage: (topic, payload) => this.onMessage(link, topic, payload),
      onClose: () => {
        for (const device of this.devices) {
          context.metrics.connected.set({ device: device.id }, 0);
          context.metrics.errors.inc({ device: device.id, kind: 'disconnected' });
        }
        context.linkLost?.(this.devices.map((d) => d.id));
      },
    });
    return link;
  }

  /** Spec order: subscribe, then publish STATE online, then (our addition) ask every node for a rebirth. */
  private async onConnect(link: MqttLink, hostState: boolean): Promise<void> {
    const { config, context } = this;
    this.session.desync();
    const filters: Record<string, { qos: 1 }> = {};
    for (const group of config.groups) filters[`${NAMESPACE}/${group}/#`] = { qos: 1 };
    const online = hostState ? this.stateMessage(true) : undefined;
    if (online) filters[online.topic] = { qos: 1 };
    await link.subscribe(filters);
    context.conditions.clear({ device: config.id }, 'subscribe_failed');
    if (online) await link.publish(online.topic, online.payload, { qos: 1, retain: true });
    const now = context.now();
    for (const { group, node } of this.session.edgeNodes()) {
      const request = this.session.requestRebirth(group, node, now);
      if (request) this.sendRebirth(link, request);
    }
  }

  private onMessage(link: MqttLink, topic: string, bytes: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'state') {
      this.onState(link, parsed.hostId, bytes);
      return;
    }
    if (!parsed) {
      this.problems.report({
        device: this.config.id,
        kind: 'unknown_topic',
        reason: 'not_sparkplug',
        message: 'message on a topic that is not a Sparkplug B topic',
        detail: { topic },
      });
      return;
    }
    let payload: Payload | Error;
    try {
      payload = decodePayload(bytes);
    } catch (error) {
      payload = error as Error;
    }
    this.apply(link, this.session.handle(parsed, payload, this.context.now()));
  }

  private apply(link: MqttLink, outcome: Outcome): void {
    const { metrics, onSamples } = this.context;
    for (const problem of outcome.problems) this.problems.report(problem);
    for (const { device, online } of outcome.online) {
      metrics.connected.set({ device }, online ? 1 : 0);
      if (online) this.problems.clearDevice(device);
    }
    if (outcome.rebirth) this.sendRebirth(link, outcome.rebirth);
    if (outcome.samples.length === 0) return;
    for (const sample of outcome.samples)
      if (sample.quality === 'good') this.problems.clearTag(sample.device, sample.tag);
    this.latest.record(outcome.samples);
    onSamples(outcome.samples);
  }

  /** Another client (or our own stale will) said we are offline while we are not: say online again. */
  private onState(link: MqttLink, hostId: string, bytes: Buffer): void {
    if (this.stopping || link !== this.link || hostId !== this.config.hostId) return;
    const text = bytes.toString('utf8');
    let offline = text === 'OFFLINE';
    if (this.config.spec === '3.0') {
      try {
        offline = (JSON.parse(text) as { online?: unknown }).online === false;
      } catch {
        offline = false;
      }
    }
    const online = this.stateMessage(true);
    if (!offline || !online) return;
    link.publish(online.topic, online.payload, { qos: 1, retain: true }).catch(() => {
      // The link is down; the next connect publishes STATE anyway.
    });
  }

  /** NCMD "Node Control/Rebirth" = true, QoS 0 as the spec has for commands. */
  private sendRebirth(link: MqttLink, request: RebirthRequest): void {
    const now = this.context.now();
    const payload = encodePayload({
      timestamp: now,
      metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true, timestamp: now }],
    });
    this.context.metrics.errors.inc({ device: request.device, kind: 'rebirth_requested' });
    this.context.log.debug(
      { device: request.device, group: request.group, node: request.node },
      'rebirth requested',
    );
    link.publish(ncmdTopic(request.group, request.node), payload, { qos: 0 }).catch(() => {
      // Offline: after reconnecting every node is asked again.
    });
  }

  /** The host's STATE message (undefined without a hostId). */
  private stateMessage(online: boolean): Will | undefined {
    const hostId = this.config.hostId;
    if (hostId === undefined) return undefined;
    if (this.config.spec === '2.2') {
      return {
        topic: `STATE/${hostId}`,
        payload: Buffer.from(online ? 'ONLINE' : 'OFFLINE'),
        qos: 1,
        retain: true,
      };
    }
    return {
      topic: `${NAMESPACE}/STATE/${hostId}`,
      payload: Buffer.from(JSON.stringify({ online, timestamp: this.stateTime })),
      qos: 1,
      retain: true,
    };
  }
}

export const sparkplugbPlugin: CollectorPlugin<SparkplugbConfig> = {
  protocol: 'sparkplugb',
  schema: sparkplugbConfigSchema,
  devices: (config) => toModelDevices('sparkplugb', config.devices),
  create: (config, context) => new SparkplugbCollector(config, context),
  // The only bad status a Sparkplug sample carries: its edge node or device died, or sent null.
  describeStatus: (code) =>
    code === STATUS_NO_COMMUNICATION
      ? 'BadNoCommunication: the edge node or device is dead (NDEATH/DDEATH), or sent the metric as null; its last value is kept'
      : `status 0x${code.toString(16)}`,
};
