// QoS 1 acknowledgements wait for durability: a message whose PUBACK was held (the gateway's buffer
// had not synced it yet) is delivered again by Mosquitto to the next session; one acknowledged after
// the sync is not. Real broker, persistent sessions.
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { plainAcks } from './connection.ts';
import { MqttCollector } from './mqtt.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

const config = (url: string, protocolVersion: 4 | 5 = 4) => ({
  ...countConfig(url, `ack-test-v${protocolVersion}`),
  protocolVersion,
});

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

/**
 * A first session that subscribes and takes one message (value `marker`), so that the broker keeps
 * the session and queues for the next one.
 */
async function openSession(
  url: string,
  publisher: MqttClient,
  version: 4 | 5,
  marker: number,
): Promise<void> {
  const setup = gatedContext();
  setup.sync();
  const first = new MqttCollector(config(url, version), setup.context);
  await first.start();
  // Published before the subscription is active, a value is lost: publish until one lands.
  await waitUntil(async () => {
    await publisher.publishAsync('factory/press-01/count', String(marker), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    return counts(setup.samples).includes(marker);
  });
  await first.stop();
}

describe.skipIf(!mosquittoBinary.available)('MQTT acknowledgements after the buffer sync', () => {
  let broker: Mosquitto;
  let publisher: MqttClient;
  beforeAll(async () => {
    // No cap on messages in flight: a burst whose acknowledgements are held is delivered whole.
    broker = await startMosquitto(['max_inflight_messages 0']);
    publisher = await connectAsync(broker.url, { clientId: 'ack-test-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  it.each([4, 5] as const)(
    'MQTT %i: a burst held until the sync is acknowledged in one write, and none of it comes again',
    async (version) => {
      const topic = `factory/press-01/count`;
      await openSession(broker.url, publisher, version, 0);

      // 300 messages arrive while the buffer has not synced: their PUBACKs wait, then go out together
      // (Mosquitto's in-flight window is 20 by default: lifted for this broker, see beforeAll).
      const gated = gatedContext();
      const second = new MqttCollector(config(broker.url, version), gated.context);
      await second.start();
      for (let i = 1; i <= 300; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
      await gated.waitFor((s) => counts(s).includes(300));
      // What goes out on sockets from here: the held PUBACKs, 4 bytes each, a few writes in all
      // (the first ack waited for a sync of its own; mqtt.js itself makes three writes per PUBACK).
      const writes = vi.spyOn(Socket.prototype, 'write');
      const acks = () =>
        writes.mock.calls
          .map(([chunk]) => Buffer.from(chunk as Uint8Array))
          .filter((b) => b.length % 4 === 0 && b[0] === 0x40 && b[1] === 0x02);
      gated.sync();
      await waitUntil(() => acks().reduce((n, b) => n + b.length, 0) >= 4 * 300);
      const sent = acks();
      writes.mockRestore();
      expect(sent.reduce((n, b) => n + b.length, 0)).toBe(4 * 300);
      expect(sent.length).toBeLessThanOrEqual(5);
      await second.stop();

      const third = gatedContext();
      third.sync();
      const collector = new MqttCollector(config(broker.url, version), third.context);
      await collector.start();
      await publisher.publishAsync(topic, '1000', { qos: 1 });
      await third.waitFor((s) => counts(s).includes(1000));
      await collector.stop();
      expect(counts(third.samples)).toEqual([1000]);
      expect(new Set(counts(gated.samples)).size).toBe(300);
    },
  );

  it('a message not yet synced comes again after the link drops; a synced one does not', async () => {
    // First session: subscribe once, so the broker keeps the session and its queue.
    await openSession(broker.url, publisher, 4, 1);

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

describe('plainAcks', () => {
  it('writes the bytes mqtt-packet writes for plain PUBACKs, in MQTT 3.1.1 and 5, and nothing for others', () => {
    const ids = [1, 2, 255, 256, 4660, 65_535];
    for (const protocolVersion of [4, 5] as const) {
      const acks = ids.map((messageId) => ({ cmd: 'puback', messageId, reasonCode: 0 }));
      const expected = Buffer.concat(
        acks.map((ack) => mqttPacket.generate(ack as mqttPacket.IPubackPacket, { protocolVersion })),
      );
      expect(plainAcks(acks)?.toString('hex'), `MQTT ${protocolVersion}`).toBe(expected.toString('hex'));
    }
    expect(plainAcks([{ cmd: 'puback', messageId: 7 }])?.toString('hex')).toBe('40020007');
    expect(plainAcks([])?.length).toBe(0);
    for (const odd of [
      { cmd: 'puback', messageId: 7, reasonCode: 0x10 },
      { cmd: 'puback', messageId: 7, reasonCode: 0, properties: { reasonString: 'x' } },
      { cmd: 'pubrec', messageId: 7 },
      { cmd: 'puback', messageId: 0 },
      { cmd: 'puback', messageId: 65_536 },
      { cmd: 'puback' },
    ])
      expect(plainAcks([{ cmd: 'puback', messageId: 1 }, odd]), JSON.stringify(odd)).toBeUndefined();
  });
});

describe.skipIf(!mosquittoBinary.available)(
  "the broker's in-flight window while acknowledgements wait",
  () => {
    let broker: Mosquitto;
    let publisher: MqttClient;
    beforeAll(async () => {
      // Mosquitto as installed: max_inflight_messages 20.
      broker = await startMosquitto();
      publisher = await connectAsync(broker.url, { clientId: 'window-test-publisher' });
    });
    afterAll(async () => {
      await publisher?.endAsync();
      await broker?.stop();
    });

    it.each([
      [5, 100],
      [4, 20],
    ] as const)(
      'MQTT %i: of 100 messages waiting for a sync, the broker sends %i',
      async (version, before) => {
        const topic = 'factory/press-01/count';
        await openSession(broker.url, publisher, version, 0);

        // MQTT 5 tells the broker its receive maximum (1000 by default); MQTT 3.1.1 cannot, and
        // Mosquitto then holds back all but 20 until the gateway has acknowledged some.
        const gated = gatedContext();
        const collector = new MqttCollector(config(broker.url, version), gated.context);
        await collector.start();
        for (let i = 1; i <= 100; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
        await gated.waitFor((s) => s.length >= before);
        await new Promise((r) => setTimeout(r, 500));
        expect(gated.samples.length).toBe(before);
        gated.sync();
        await gated.waitFor((s) => counts(s).includes(100));
        expect(new Set(counts(gated.samples)).size).toBe(100);
        await collector.stop();
      },
    );
  },
);
