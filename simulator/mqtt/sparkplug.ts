/**
 * A Sparkplug B edge node (spBv1.0) for the plant's Sparkplug devices: NBIRTH with bdSeq and
 * Node Control/Rebirth, a DBIRTH per device naming every metric with its alias, then DDATA by alias
 * with only the metrics that changed. seq runs 0–255 and wraps; NBIRTH resets it to 0. The NDEATH
 * is the MQTT will (same bdSeq as the NBIRTH) and is also sent on a clean stop. An NCMD
 * "Node Control/Rebirth" = true re-sends the births.
 */
import type { MqttClient } from 'mqtt';
import { DataType, decodePayload, encodePayload, type Metric } from '../../collector/sparkplugb/codec.ts';
import type { Logger } from '../../core/log.ts';
import type { SimClock } from '../clock.ts';
import type { Plant } from '../model/plant.ts';
import type { SignalValue } from '../model/signals.ts';
import type { SimDevice, SparkplugAddress } from '../plant/types.ts';
import { connectClient, publish } from './client.ts';

export const REBIRTH_METRIC = 'Node Control/Rebirth';
/** The alias of Node Control/Rebirth; device metrics use other aliases (see the plant data). */
export const REBIRTH_ALIAS = 1;

export interface SparkplugNode {
  groupId: string;
  edgeNode: string;
  devices: string[];
  topics: { nbirth: string; ndeath: string; ncmd: string; dbirth: string[]; ddata: string[] };
  /** How many times the births were sent (1 after start; +1 per rebirth or reconnect). */
  readonly births: number;
  close(): Promise<void>;
}

const topicOf = (groupId: string, type: string, node: string, device?: string) =>
  `spBv1.0/${groupId}/${type}/${node}${device ? `/${device}` : ''}`;

export async function startSparkplugNode(options: {
  plant: Plant;
  clock: SimClock;
  url: string;
  groupId: string;
  edgeNode: string;
  intervalMs: number;
  logger: Logger;
}): Promise<SparkplugNode> {
  const { plant, clock, groupId, edgeNode } = options;
  const logger = options.logger.child({ sparkplug: `${groupId}/${edgeNode}` });
  const devices = plant.devices.filter(
    (d) =>
      d.endpoint.protocol === 'sparkplugb' &&
      d.endpoint.groupId === groupId &&
      d.endpoint.edgeNode === edgeNode,
  );
  const topics = {
    nbirth: topicOf(groupId, 'NBIRTH', edgeNode),
    ndeath: topicOf(groupId, 'NDEATH', edgeNode),
    ncmd: topicOf(groupId, 'NCMD', edgeNode),
    dbirth: devices.map((d) => topicOf(groupId, 'DBIRTH', edgeNode, d.id)),
    ddata: devices.map((d) => topicOf(groupId, 'DDATA', edgeNode, d.id)),
  };
  let bdSeq = 0;
  let seq = 0;
  let births = 0;
  const last = new Map<string, Map<number, SignalValue>>();
  const nextSeq = () => {
    seq = (seq + 1) % 256;
    return seq;
  };
  const death = () =>
    Buffer.from(
      encodePayload({
        timestamp: clock.now(),
        metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: bdSeq }],
      }),
    );
  const metricsOf = (device: SimDevice, t: number, named: boolean): Metric[] =>
    device.tags.map((tag) => {
      const address = tag.address as SparkplugAddress;
      return {
        ...(named ? { name: address.metric } : {}),
        alias: address.alias,
        timestamp: t,
        // The shared codec needs the datatype to encode a value, so DDATA carries it too (allowed).
        datatype: DataType[address.datatype],
        value: plant.valueAt(device.id, tag.id, t),
      };
    });

  const client: MqttClient = await connectClient(options.url, {
    clientId: `shugai-sim-${edgeNode}-${process.pid}`,
    clean: true,
    will: { topic: topics.ndeath, payload: death(), qos: 1, retain: false },
  });

  const sendBirths = async () => {
    const t = clock.now();
    seq = 0;
    await publish(
      client,
      topics.nbirth,
      encodePayload({
        timestamp: t,
        seq,
        metrics: [
          { name: 'bdSeq', datatype: DataType.UInt64, value: bdSeq, timestamp: t },
          {
            name: REBIRTH_METRIC,
            alias: REBIRTH_ALIAS,
            datatype: DataType.Boolean,
            value: false,
            timestamp: t,
          },
        ],
      }),
    );
    for (const [i, device] of devices.entries()) {
      const metrics = metricsOf(device, t, true);
      last.set(device.id, new Map(metrics.map((m) => [m.alias!, m.value as SignalValue])));
      await publish(client, topics.dbirth[i]!, encodePayload({ timestamp: t, seq: nextSeq(), metrics }));
    }
    births++;
    logger.info({ bdSeq, births }, 'sparkplug: births sent');
  };

  const sendChanges = async () => {
    if (!client.connected || births === 0) return;
    const t = clock.now();
    for (const [i, device] of devices.entries()) {
      const previous = last.get(device.id)!;
      const changed = metricsOf(device, t, false).filter((m) => previous.get(m.alias!) !== m.value);
      if (changed.length === 0) continue;
      for (const m of changed) previous.set(m.alias!, m.value as SignalValue);
      await publish(
        client,
        topics.ddata[i]!,
        encodePayload({ timestamp: t, seq: nextSeq(), metrics: changed }),
      );
    }
  };

  const guarded = (what: string, action: () => Promise<void>) => () =>
    void action().catch((error: unknown) => logger.warn({ err: error }, `sparkplug: ${what} failed`));

  client.on('message', (topic, payload) => {
    if (topic !== topics.ncmd) return;
    let metrics: Metric[];
    try {
      metrics = decodePayload(payload).metrics;
    } catch (error) {
      logger.warn({ err: error }, 'sparkplug: NCMD is not a Sparkplug payload, ignored');
      return;
    }
    const rebirth = metrics.some(
      (m) => (m.name === REBIRTH_METRIC || m.alias === REBIRTH_ALIAS) && m.value === true,
    );
    if (rebirth) guarded('rebirth', sendBirths)();
  });
  // Every new MQTT session gets a new bdSeq, announced in the will and then in the NBIRTH.
  client.on('close', () => {
    bdSeq = (bdSeq + 1) % 256;
    if (client.options.will) client.options.will.payload = death();
  });
  client.on('connect', guarded('births after reconnect', sendBirths));
  client.on('error', (error) => logger.warn({ err: error }, 'sparkplug: client error'));

  await client.subscribeAsync(topics.ncmd, { qos: 1 });
  await sendBirths();
  const timer = setInterval(guarded('DDATA', sendChanges), options.intervalMs);

  return {
    groupId,
    edgeNode,
    devices: devices.map((d) => d.id),
    topics,
    get births() {
      return births;
    },
    close: async () => {
      clearInterval(timer);
      if (client.connected) await publish(client, topics.ndeath, death(), 1).catch(() => undefined);
      await client.endAsync();
    },
  };
}
