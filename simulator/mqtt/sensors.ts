/** The JSON sensors: each publishes `{ "ts": <simulated ms>, <field>: value, … }` to its topic. */
import type { Logger } from '../../core/log.ts';
import type { SimClock } from '../clock.ts';
import type { Plant } from '../model/plant.ts';
import type { SignalValue } from '../model/signals.ts';
import { connectClient, publish } from './client.ts';

export interface SensorPublisher {
  topics: string[];
  close(): Promise<void>;
}

/** The JSON document a sensor device publishes at simulated time t. */
export function sensorPayload(plant: Plant, deviceId: string, t: number): Record<string, SignalValue> {
  const device = plant.device(deviceId);
  return {
    ts: t,
    ...Object.fromEntries(device.tags.map((tag) => [tag.id, plant.valueAt(deviceId, tag.id, t)])),
  };
}

export async function startSensorPublisher(options: {
  plant: Plant;
  clock: SimClock;
  url: string;
  intervalMs: number;
  logger: Logger;
}): Promise<SensorPublisher> {
  const { plant, clock, logger } = options;
  const devices = plant.devices.filter((d) => d.endpoint.protocol === 'mqtt');
  const client = await connectClient(options.url, { clientId: `shugai-sim-sensors-${process.pid}` });
  client.on('error', (error) => logger.warn({ err: error }, 'mqtt sensors: client error'));
  const publishAll = async () => {
    if (!client.connected) return;
    const t = clock.now();
    for (const device of devices) {
      if (device.endpoint.protocol !== 'mqtt') continue;
      try {
        await publish(client, device.endpoint.topic, JSON.stringify(sensorPayload(plant, device.id, t)));
      } catch (error) {
        logger.warn({ err: error, device: device.id }, 'mqtt sensors: publish failed');
      }
    }
  };
  await publishAll();
  const timer = setInterval(() => void publishAll(), options.intervalMs);
  return {
    topics: devices.map((d) => (d.endpoint.protocol === 'mqtt' ? d.endpoint.topic : '')),
    close: async () => {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
