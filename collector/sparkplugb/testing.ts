/**
 * A Sparkplug B edge node for tests: births with aliases, data by alias, deaths, a bdSeq will, and
 * rebirth on an NCMD "Node Control/Rebirth" (which can be switched off). Counts the rebirth
 * requests it receives.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { DataType, decodePayload, encodePayload, type Metric } from './codec.ts';
import { NAMESPACE, ncmdTopic } from './topic.ts';

export interface SimMetric {
  name: string;
  alias: number;
  datatype: number;
  value: Metric['value'];
  timestamp?: number;
}

export class EdgeNodeSim {
  private client: MqttClient | undefined;
  private seq = 0;
  bdSeq = 0;
  rebirthRequests = 0;
  autoRebirth = true;

  constructor(
    readonly url: string,
    readonly group: string,
    readonly node: string,
    /** Node metrics and, per device id, device metrics, as sent in births. */
    readonly births: { node: SimMetric[]; devices: Record<string, SimMetric[]> },
  ) {}

  async connect(): Promise<void> {
    this.client = await connectAsync(this.url, {
      clientId: `sim-${this.group}-${this.node}`,
      clean: true,
      reconnectPeriod: 0,
      will: { topic: this.topic('NDEATH'), payload: Buffer.from(this.deathPayload()), qos: 1, retain: false },
    });
    this.client.on('message', (topic, bytes) => {
      if (topic !== ncmdTopic(this.group, this.node)) return;
      const rebirth = decodePayload(bytes).metrics.some(
        (m) => m.name === 'Node Control/Rebirth' && m.value === true,
      );
      if (!rebirth) return;
      this.rebirthRequests += 1;
      if (this.autoRebirth) void this.birth();
    });
    await this.client.subscribeAsync(ncmdTopic(this.group, this.node), { qos: 0 });
  }

  /** NBIRTH (seq 0) and one DBIRTH per device. */
  async birth(): Promise<void> {
    this.seq = 0;
    await this.send(this.topic('NBIRTH'), [
      { name: 'bdSeq', datatype: DataType.Int64, value: this.bdSeq },
      { name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: false },
      ...this.births.node,
    ]);
    for (const [device, metrics] of Object.entries(this.births.devices)) {
      await this.send(this.topic('DBIRTH', device), metrics);
    }
  }

  /** NDATA or, with a device, DDATA; metrics by alias unless names are given. */
  async data(metrics: Metric[], device?: string): Promise<void> {
    await this.send(device === undefined ? this.topic('NDATA') : this.topic('DDATA', device), metrics);
  }

  async deviceDeath(device: string): Promise<void> {
    await this.send(this.topic('DDEATH', device), []);
  }

  /** The NDEATH for `bdSeq` (default: the current one), as the broker would send the will. */
  async nodeDeath(bdSeq = this.bdSeq): Promise<void> {
    await this.require().publishAsync(this.topic('NDEATH'), Buffer.from(this.deathPayload(bdSeq)), {
      qos: 1,
    });
  }

  /** Skips sequence numbers, as if messages had been lost. */
  skip(count: number): void {
    this.seq = (this.seq + count) % 256;
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }

  private async send(topic: string, metrics: Metric[]): Promise<void> {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 256;
    await this.require().publishAsync(
      topic,
      Buffer.from(encodePayload({ timestamp: Date.now(), seq, metrics })),
      {
        qos: 0,
      },
    );
  }

  private deathPayload(bdSeq = this.bdSeq): Uint8Array {
    return encodePayload({
      timestamp: Date.now(),
      metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: bdSeq }],
    });
  }

  private topic(type: string, device?: string): string {
    return `${NAMESPACE}/${this.group}/${type}/${this.node}${device === undefined ? '' : `/${device}`}`;
  }

  private require(): MqttClient {
    if (!this.client) throw new Error(`edge node ${this.node} is not connected`);
    return this.client;
  }
}
