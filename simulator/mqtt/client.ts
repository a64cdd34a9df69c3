/** Connecting the simulator's MQTT clients, with a clear error naming the broker when it fails. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

const CONNECT_TIMEOUT_MS = 10_000;

export async function connectClient(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 2000,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Readings are only worth sending now: never queue QoS 0 messages while offline.
    queueQoSZero: false,
    ...options,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), CONNECT_TIMEOUT_MS);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    client.end(true);
    throw new Error(`cannot connect to MQTT broker ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return client;
}

/** The URL without a password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Publishes and resolves once the message is written (QoS 0) or acknowledged. */
export function publish(
  client: MqttClient,
  topic: string,
  payload: string | Uint8Array,
  qos: 0 | 1 = 0,
): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, Buffer.from(payload), { qos, retain: false }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}
