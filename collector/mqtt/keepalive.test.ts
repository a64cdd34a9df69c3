// The broker link's keep-alive while the broker is busy sending: a broker queues its PINGRESP behind
// the messages it already has for the client, so while a backlog drains the answer can come late.
// Messages arriving prove the link alive; only silence after a PINGREQ fails it.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { type MqttProxy, PINGRESP, startMqttProxy } from '../../test/services/mqtt-proxy.ts';
import { MqttCollector } from './mqtt.ts';
import { mqttConfigSchema } from './schema.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

const KEEPALIVE_S = 5;

describe.skipIf(!mosquittoBinary.available)('MQTT keep-alive under traffic', () => {
  let broker: Mosquitto;
  let proxy: MqttProxy;
  let publisher: MqttClient;
  let collector: MqttCollector | undefined;

  beforeAll(async () => {
    broker = await startMosquitto();
    proxy = await startMqttProxy(Number(new URL(broker.url).port));
    publisher = await connectAsync(broker.url, { clientId: 'keepalive-publisher' });
  });
  afterAll(async () => {
    await collector?.stop();
    await publisher?.endAsync();
    await proxy?.close();
    await broker?.stop();
  });

  it('keeps the link while messages arrive, though no PINGRESP does; fails it once they stop', {
    timeout: 60_000,
  }, async () => {
    const rec = recordingContext();
    const config = mqttConfigSchema.parse({
      ...countConfig(proxy.url, 'keepalive-gw'),
      keepaliveSeconds: KEEPALIVE_S,
    });
    collector = new MqttCollector(config, rec.context);
    await collector.start();
    let n = 0;
    await waitUntil(() => {
      void publisher.publishAsync('factory/press-01/count', String(++n), { qos: 1 });
      return rec.samples.length > 0;
    }, 10_000);
    // Every PINGRESP lost from now on; messages keep coming, 20 a second, for three keep-alive periods.
    proxy.dropTypes([PINGRESP]);
    const until = Date.now() + 3 * KEEPALIVE_S * 1000;
    while (Date.now() < until) {
      await publisher.publishAsync('factory/press-01/count', String(++n), { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    await rec.waitFor((s) => s.at(-1)?.value === n, 5000);
    expect(proxy.dropped).toBeGreaterThanOrEqual(2); // PINGREQs went out: the broker's check holds
    expect(await rec.errors('press-01', 'disconnected')).toBe(0);
    expect(proxy.connections).toBe(1);
    // Silence: the unanswered PINGREQ now fails the link within the keep-alive's bounds.
    await waitUntil(async () => (await rec.errors('press-01', 'disconnected')) > 0, 4 * KEEPALIVE_S * 1000);
    expect(rec.logs.some((l) => l.error === 'Keepalive timeout')).toBe(true);
  });
});
