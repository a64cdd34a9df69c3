// QoS 1 acknowledgements wait for durability: a message whose PUBACK was held (the gateway's buffer
// had not synced it yet) is delivered again by Mosquitto to the next session; one acknowledged after
// the sync is not. Real broker, persistent sessions.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { MqttCollector } from './mqtt.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

const config = (url: string) => countConfig(url, 'ack-test');

/** A gateway whose buffer syncs only when the test says so. */
function gatedContext() {
  const rec = recordingContext();
  let open!: () => void;
  const synced = new Promise<void>((resolve) => {
    open = resolve;
  });
  let asked = 0;
  return {
    ...rec,
    context: {
      ...rec.context,
      durable: () => {
        asked += 1;
        return synced;
      },
    },
    sync: () => open(),
    asked: () => asked,
  };
}

const counts = (samples: { value: unknown }[]) => samples.map((s) => s.value);

describe.skipIf(!mosquittoBinary.available)('MQTT acknowledgements after the buffer sync', () => {
  let broker: Mosquitto;
  let publisher: MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await connectAsync(broker.url, { clientId: 'ack-test-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  it('a message not yet synced comes again after the link drops; a synced one does not', async () => {
    // First session: subscribe once, so the broker keeps the session and its queue.
    const setup = gatedContext();
    setup.sync();
    const first = new MqttCollector(config(broker.url), setup.context);
    await first.start();
    // Published before the subscription is active, a value is lost: publish until one lands.
    await waitUntil(async () => {
      await publisher.publishAsync('factory/press-01/count', '1', { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      return counts(setup.samples).includes(1);
    });
    await first.stop();

    // Second session: value 2 arrives, but the buffer never syncs before the gateway goes away.
    const unsynced = gatedContext();
    const second = new MqttCollector(config(broker.url), unsynced.context);
    await second.start();
    await publisher.publishAsync('factory/press-01/count', '2', { qos: 1 });
    await unsynced.waitFor((s) => counts(s).includes(2));
    expect(unsynced.asked()).toBeGreaterThan(0);
    await second.stop();

    // Third session: Mosquitto delivers 2 again (never acknowledged), then 3; value 1 is not repeated.
    const third = gatedContext();
    third.sync();
    const collector = new MqttCollector(config(broker.url), third.context);
    await collector.start();
    await third.waitFor((s) => counts(s).includes(2));
    await publisher.publishAsync('factory/press-01/count', '3', { qos: 1 });
    await third.waitFor((s) => counts(s).includes(3));
    await collector.stop();
    expect(counts(third.samples)).toEqual([2, 3]);
  });
});
