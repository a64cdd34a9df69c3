// The event loop keeps its turns while the link drains a backlog: mqtt.js handles the packets of
// what it has read in one chain of callbacks, so without a yield a reconnect after an outage would
// hold timers, disk writes and HTTP for as long as tens of thousands of messages take.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { MqttCollector } from './mqtt.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

const BACKLOG = 20_000;
/** The work per message the test stands for (decoding and accepting it): 20,000 of them take 2 s. */
const WORK_MS = 0.1;

describe.skipIf(!mosquittoBinary.available)('MQTT backlog and the event loop', () => {
  let broker: Mosquitto;
  let publisher: MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto(['max_queued_messages 0']);
    publisher = await connectAsync(broker.url, { clientId: 'turns-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  it(`gives timers their turn every few ms while ${BACKLOG} queued messages are handled`, {
    timeout: 60_000,
  }, async () => {
    const config = countConfig(broker.url, 'turns-gw');
    // First session: subscribed, so the broker queues what comes while the collector is away.
    const setup = recordingContext();
    const first = new MqttCollector(config, setup.context);
    await first.start();
    await waitUntil(async () => {
      await publisher.publishAsync('factory/press-01/count', '0', { qos: 1 });
      return setup.samples.length > 0;
    });
    await first.stop();
    for (let n = 1; n <= BACKLOG; n++)
      void publisher.publishAsync('factory/press-01/count', String(n), { qos: 1 });
    await publisher.publishAsync('factory/press-01/count', String(BACKLOG + 1), { qos: 1 });

    const rec = recordingContext();
    const record = rec.context.onSamples;
    rec.context.onSamples = (samples) => {
      const until = performance.now() + WORK_MS;
      while (performance.now() < until);
      record(samples);
    };
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const collector = new MqttCollector(config, rec.context);
    try {
      await collector.start();
      await rec.waitFor((s) => s.some((x) => x.value === BACKLOG + 1), 40_000);
    } finally {
      clearInterval(ticker);
      await collector.stop();
    }
    expect(rec.samples.length).toBeGreaterThanOrEqual(BACKLOG);
    // Turns of about 5 ms (connection.ts TURN_MS): a timer waits far less than the drain's seconds
    // (2.7 s without the yield); the bound leaves room for a loaded machine's scheduling and GC.
    expect(longest).toBeLessThan(250);
  });
});
