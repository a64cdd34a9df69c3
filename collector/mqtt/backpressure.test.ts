// The gateway's backpressure on a push source: while ingest says it is behind (relieved() gives a
// promise), the MQTT link reads no further packet, so a flood waits at the broker, not in memory;
// once relieved, every message arrives.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { MqttCollector } from './mqtt.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

describe.skipIf(!mosquittoBinary.available)('MQTT link under backpressure', () => {
  let broker: Mosquitto;
  let publisher: MqttClient;
  let collector: MqttCollector | undefined;

  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await connectAsync(broker.url, { clientId: 'backpressure-publisher' });
  });
  afterAll(async () => {
    await collector?.stop();
    await publisher?.endAsync();
    await broker?.stop();
  });

  it('reads nothing more while the gateway is behind, then everything', { timeout: 60_000 }, async () => {
    const rec = recordingContext();
    let behind: { promise: Promise<void>; release: () => void } | undefined;
    rec.context.relieved = () => behind?.promise;
    collector = new MqttCollector(countConfig(broker.url, 'backpressure-gw'), rec.context);
    await collector.start();
    let n = 0;
    await waitUntil(() => {
      void publisher.publishAsync('factory/press-01/count', String(++n), { qos: 1 });
      return rec.samples.length > 0;
    }, 10_000);
    await rec.waitFor((s) => s.at(-1)?.value === n, 5000);
    // The gateway falls behind: 200 more messages are published and acknowledged by the broker.
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    behind = { promise, release };
    const before = rec.samples.length;
    for (let i = 0; i < 200; i++)
      await publisher.publishAsync('factory/press-01/count', String(++n), { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    // At most the packet being handled when the gateway fell behind got through.
    expect(rec.samples.length - before).toBeLessThanOrEqual(1);
    behind = undefined;
    release();
    await rec.waitFor((s) => s.at(-1)?.value === n, 10_000);
    // Every message, in order, once.
    expect(rec.samples.slice(before).map((s) => s.value)).toEqual(
      Array.from({ length: 200 }, (_, i) => n - 199 + i),
    );
  });
});
