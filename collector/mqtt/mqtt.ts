/**
 * The MQTT collector: subscribes to topic templates on one broker, maps JSON or plain payloads to
 * samples (decode.ts) and keeps a persistent session so QoS 1 messages published while the gateway
 * is away are delivered when it returns. Documented in README.md.
 */
import type { Device, Sample } from '../../core/model.ts';
import type { Collector, CollectorContext, CollectorPlugin } from '../collector.ts';
import { toModelDevices } from '../schema.ts';
import { MqttLink } from './connection.ts';
import { MqttDecoder } from './decode.ts';
import { LatestValues, readClientId } from './latest.ts';
import { ProblemReporter } from './problems.ts';
import { type MqttConfig, mqttConfigSchema } from './schema.ts';

export class MqttCollector implements Collector {
  readonly id: string;
  readonly devices: readonly Device[];
  private readonly decoder: MqttDecoder;
  private readonly latest: LatestValues;
  private readonly problems: ProblemReporter;
  private link: MqttLink | undefined;

  constructor(
    private readonly config: MqttConfig,
    private readonly context: CollectorContext,
  ) {
    this.id = config.id;
    this.devices = toModelDevices('mqtt', config.devices);
    this.decoder = new MqttDecoder(config);
    this.latest = new LatestValues(this.devices, context.metrics);
    this.problems = new ProblemReporter(context);
  }

  async start(): Promise<void> {
    if (this.link) return;
    this.link = this.createLink(this.config.clientId, false);
    await this.link.start();
  }

  /**
   * Waits until every tag has a value or the timeout passes. When not started, connects for the
   * read with its own clean session, so the gateway's persistent session keeps its queued messages.
   */
  async readOnce(options: { deviceId?: string; timeoutMs?: number } = {}): Promise<Sample[]> {
    const own = this.link ? undefined : this.createLink(readClientId(this.config.clientId), true);
    return this.latest.readOnce(options, this.id, own);
  }

  async stop(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    await link?.stop();
    for (const device of this.devices) this.context.metrics.connected.set({ device: device.id }, 0);
  }

  private createLink(clientId: string, clean: boolean): MqttLink {
    const { config, context } = this;
    const link: MqttLink = new MqttLink({
      connectionId: config.id,
      broker: config,
      clientId,
      session: clean ? { clean: true } : { clean: false, expirySeconds: config.sessionExpirySeconds },
      log: context.log,
      conditions: context.conditions,
      ...(context.durable ? { durable: context.durable } : {}),
      ...(context.relieved ? { relieved: context.relieved } : {}),
      onConnect: (sessionPresent) => {
        for (const device of this.devices) context.metrics.connected.set({ device: device.id }, 1);
        // MQTT 5 re-subscribes every time (retain handling 1 avoids re-sending retained messages),
        // so a changed config takes effect; MQTT 3.1.1 only when the broker lost the session.
        if (sessionPresent && config.protocolVersion === 4) return;
        const filters = Object.fromEntries(
          Object.entries(this.decoder.filters).map(([filter, opts]) => [filter, { ...opts, rh: 1 as const }]),
        );
        link.subscribe(filters).then(
          () => context.conditions.clear({ device: config.id }, 'subscribe_failed'),
          (error: unknown) =>
            context.conditions.raise({ device: config.id }, 'subscribe_failed', 'MQTT subscription failed', {
              error: (error as Error).message,
            }),
        );
      },
      onMessage: (topic, payload, resent) => this.onMessage(topic, payload, resent),
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

  private onMessage(topic: string, payload: Buffer, resent: boolean): void {
    const { samples, problems } = this.decoder.decode(topic, payload, this.context.now());
    for (const problem of problems) this.problems.report(problem);
    if (samples.length === 0) return;
    if (resent) for (const sample of samples) sample.resent = true;
    for (const sample of samples) this.problems.clearTag(sample.device, sample.tag);
    this.latest.record(samples);
    this.context.onSamples(samples);
  }
}

export const mqttPlugin: CollectorPlugin<MqttConfig> = {
  protocol: 'mqtt',
  schema: mqttConfigSchema,
  devices: (config) => toModelDevices('mqtt', config.devices),
  create: (config, context) => new MqttCollector(config, context),
};
