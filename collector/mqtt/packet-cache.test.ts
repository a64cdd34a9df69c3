// mqtt-packet keeps a Buffer for each of the 65,536 packet ids once a client with mqtt.js's default
// options sends its first packet: ~7 MB of heap that every full collection marks, for the gateway's
// whole life. The collector's link turns it off (connection.ts, writeCache). Each case runs in its own
// node process against a real Mosquitto: the cache is mqtt-packet's module state.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';

const run = promisify(execFile);
const here = (file: string) => JSON.stringify(fileURLToPath(new URL(file, import.meta.url)));

/** Connects (the collector's link, or a default mqtt.js client), subscribes, takes a message or SUBACK, prints the cache's size. */
const script = (url: string, client: 'collector' | 'mqtt.js') => `
import { createRequire } from 'node:module';
const { MqttCollector } = await import(${here('./mqtt.ts')});
const { countConfig, recordingContext, waitUntil } = await import(${here('./testing.ts')});
const mqtt = await import('mqtt');
const numbers = createRequire(createRequire(import.meta.url).resolve('mqtt'))('mqtt-packet/numbers.js');
let stop;
if (${JSON.stringify(client)} === 'collector') {
  const rec = recordingContext();
  const collector = new MqttCollector(countConfig(${JSON.stringify(url)}, 'cache-test'), rec.context);
  await collector.start();
  // Subscribed once a message arrives (its publisher, made after the link, follows the link's setting).
  const publisher = await mqtt.connectAsync(${JSON.stringify(url)}, { clientId: 'cache-test-publisher' });
  await waitUntil(async () => {
    await publisher.publishAsync('factory/press-01/count', '7', { qos: 1 });
    return rec.samples.length > 0;
  }, 5000);
  stop = async () => { await publisher.endAsync(); await collector.stop(); };
} else {
  const client = await mqtt.connectAsync(${JSON.stringify(url)}, { clientId: 'cache-test-plain' });
  await client.subscribeAsync('factory/#', { qos: 1 });
  stop = () => client.endAsync();
}
const cached = Object.keys(numbers.cache).length;
await stop();
console.log(JSON.stringify({ cached }));
`;

async function cachedIds(url: string, client: 'collector' | 'mqtt.js'): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script(url, client)],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)) },
  );
  return (JSON.parse(stdout.trim().split('\n').at(-1) as string) as { cached: number }).cached;
}

describe.skipIf(!mosquittoBinary.available)("mqtt-packet's packet-id cache", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('is not built by the collector link, connected, subscribed and receiving', async () => {
    expect(await cachedIds(broker.url, 'collector')).toBe(0);
  });

  it('is built by a client with mqtt.js defaults (what the link avoids)', async () => {
    expect(await cachedIds(broker.url, 'mqtt.js')).toBe(65_536);
  });
});
