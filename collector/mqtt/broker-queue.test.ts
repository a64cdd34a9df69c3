// What the broker keeps for the gateway while it is away (README, "What the broker must keep"): a
// real Mosquitto queues QoS 1 messages for the gateway's persistent session, but only up to
// max_queued_messages (1,000 by default) and drops the rest without a word; with the limit set
// above what arrives during the outage, every message comes through.
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { MqttCollector } from './mqtt.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

/** Messages published while the gateway is away: three times Mosquitto's default queue. */
const AWAY = 3000;

const config = (url: string) => countConfig(url, 'queue-test-gw');

/**
 * The gateway subscribes (its session now exists on the broker), goes away, AWAY messages are
 * published at QoS 1, and the gateway comes back: returns the values it then receives.
 */
async function outage(broker: Mosquitto): Promise<number[]> {
  const publisher = await connectAsync(broker.url, { clientId: 'queue-test-publisher' });
  try {
    const before = recordingContext();
    const gateway = new MqttCollector(config(broker.url), before.context);
    await gateway.start();
    // A message published before the subscription is active is not the session's: publish until one lands.
    await waitUntil(async () => {
      await publisher.publishAsync('factory/press-01/count', '0', { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      return before.samples.length > 0;
    });
    await gateway.stop();

    for (let n = 1; n <= AWAY; n++)
      await publisher.publishAsync('factory/press-01/count', String(n), { qos: 1 });

    const after = recordingContext();
    const back = new MqttCollector(config(broker.url), after.context);
    await back.start();
    // Delivery is over once nothing more arrives for a second (all of them arrive well within that).
    let seen = -1;
    let quietSince = Date.now();
    await waitUntil(() => {
      if (after.samples.length !== seen) {
        seen = after.samples.length;
        quietSince = Date.now();
      }
      return seen === AWAY || (seen > 0 && Date.now() - quietSince > 1000);
    }, 30_000);
    await back.stop();
    return after.samples.map((s) => s.value as number);
  } finally {
    await publisher.endAsync();
  }
}

describe.skipIf(!mosquittoBinary.available)('what Mosquitto keeps for the gateway while it is away', () => {
  let broker: Mosquitto | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('with the default max_queued_messages (1000) it keeps the first 1,000 and drops the rest', async () => {
    broker = await startMosquitto();
    const received = await outage(broker);
    // The queue fills with the first messages; later ones are dropped, not the oldest.
    expect(received).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  }, 60_000);

  it('with max_queued_messages above the outage, every message comes through, in order', async () => {
    // As README.md says: at least rate × longest outage (here 3,000), with room to spare.
    broker = await startMosquitto(['max_queued_messages 10000']);
    const received = await outage(broker);
    expect(received).toEqual(Array.from({ length: AWAY }, (_, i) => i + 1));
  }, 60_000);
});
