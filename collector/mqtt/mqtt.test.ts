// The MQTT collector against a real Mosquitto: topic templates, JSON paths, payload timestamps,
// readings arrays, plain values, bad payloads counted and logged once, persistent sessions, backoff.
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/model.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { freePort, waitForPort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { MqttCollector } from './mqtt.ts';
import { type MqttConfig, mqttConfigSchema } from './schema.ts';
import { type RecordingContext, recordingContext, waitUntil } from './testing.ts';

const T0 = 1_700_000_000_000;
const tags = [
  { id: 'temp', type: 'number' },
  { id: 'count', type: 'integer' },
  { id: 'running', type: 'boolean' },
  { id: 'state', type: 'string' },
];
const device = (id: string, deviceTags = tags) => ({
  id,
  production: true,
  businessLinks: ['生产管控'],
  tags: deviceTags,
});

function config(url: string, clientId: string, extra: Record<string, unknown> = {}): MqttConfig {
  return mqttConfigSchema.parse({
    id: 'line1',
    protocol: 'mqtt',
    url,
    clientId,
    reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    subscriptions: [
      { topic: 'factory/{device}/{tag}', format: 'plain' },
      { topic: 'ms/{device}/{tag}', value: '$.v', timestamp: 't', timestampFormat: 'epoch_ms' },
      { topic: 'sec/{device}/{tag}', value: 'data.value', timestamp: 'data.ts', timestampFormat: 'epoch_s' },
      { topic: 'iso/{device}/{tag}', value: 'value', timestamp: 'time', timestampFormat: 'iso8601' },
      {
        topic: 'oven/telemetry',
        device: 'oven-01',
        fields: { zone1: 'z1', zone2: 'z.two' },
        readings: 'readings',
        timestamp: 't',
        timestampFormat: 'epoch_ms',
      },
      {
        topic: 'batch/{device}/{tag}/#',
        readings: '$',
        value: 'v',
        timestamp: 't',
        timestampFormat: 'epoch_ms',
      },
    ],
    devices: [
      device('press-01'),
      device('press-02'),
      device('oven-01', [
        { id: 'zone1', type: 'number' },
        { id: 'zone2', type: 'number' },
      ]),
    ],
    ...extra,
  });
}

/** Sample fields that do not depend on the clock. */
const strip = ({ device, tag, value, quality, sourceTime }: Sample) => ({
  device,
  tag,
  value,
  quality,
  sourceTime,
});
const values = (samples: Sample[]) => samples.map(({ device, tag, value }) => ({ device, tag, value }));

describe.skipIf(!mosquittoBinary.available)('MQTT collector on Mosquitto', () => {
  let broker: Mosquitto;
  let publisher: MqttClient;
  const collectors: MqttCollector[] = [];
  let clientCount = 0;

  const publish = (topic: string, payload: string, retain = false) =>
    publisher.publishAsync(topic, payload, { qos: 1, retain });

  /** Starts a collector and waits until its subscriptions deliver (a probe value arrives). */
  async function started(extra: Record<string, unknown> = {}, clientId = `test-${++clientCount}`) {
    const rec = recordingContext();
    const collector = new MqttCollector(config(broker.url, clientId, extra), rec.context);
    collectors.push(collector);
    await collector.start();
    await primed(rec, clientId);
    return { rec, collector };
  }

  async function primed(rec: RecordingContext, probe: string): Promise<void> {
    await waitUntil(() => {
      void publish('factory/press-02/state', probe);
      return rec.samples.some((s) => s.value === probe);
    }, 10_000);
    // Messages from one publisher arrive in order: once the marker is in, every probe is.
    await publish('factory/press-02/state', `${probe}-end`);
    await rec.waitFor((samples) => samples.some((s) => s.value === `${probe}-end`));
    rec.samples.length = 0;
  }

  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await connectAsync(broker.url, { clientId: 'test-publisher' });
  });
  afterAll(async () => {
    for (const collector of collectors) await collector.stop();
    await publisher?.endAsync();
    await broker?.stop();
  });

  it('maps topic levels to device and tag and reads plain payloads in each core type', async () => {
    const { rec } = await started();
    await publish('factory/press-01/temp', '23.5');
    await publish('factory/press-01/count', '42');
    await publish('factory/press-02/running', 'true');
    await publish('factory/press-01/state', ' 自动运行\n');
    await rec.waitFor((s) => s.length === 4);
    expect(values(rec.samples)).toEqual([
      { device: 'press-01', tag: 'temp', value: 23.5 },
      { device: 'press-01', tag: 'count', value: 42 },
      { device: 'press-02', tag: 'running', value: true },
      { device: 'press-01', tag: 'state', value: '自动运行' },
    ]);
    for (const sample of rec.samples) {
      expect(sample.quality).toBe('good');
      expect(sample.sourceTime).toBe(sample.receivedAt);
    }
  });

  it('reads JSON field paths with payload timestamps in epoch ms, epoch s and ISO 8601', async () => {
    const { rec } = await started();
    await publish('ms/press-01/temp', JSON.stringify({ v: 21.25, t: T0 + 123 }));
    await publish('sec/press-01/count', JSON.stringify({ data: { value: 7, ts: (T0 + 500) / 1000 } }));
    await publish(
      'iso/press-02/running',
      JSON.stringify({ value: false, time: '2023-11-15T06:13:20.250+08:00' }),
    );
    await publish('ms/press-02/state', JSON.stringify({ v: 'E-stop', t: String(T0 + 9) }));
    await rec.waitFor((s) => s.length === 4);
    expect(rec.samples.map(strip)).toEqual([
      { device: 'press-01', tag: 'temp', value: 21.25, quality: 'good', sourceTime: T0 + 123 },
      { device: 'press-01', tag: 'count', value: 7, quality: 'good', sourceTime: T0 + 500 },
      { device: 'press-02', tag: 'running', value: false, quality: 'good', sourceTime: T0 + 250 },
      { device: 'press-02', tag: 'state', value: 'E-stop', quality: 'good', sourceTime: T0 + 9 },
    ]);
  });

  it('reads arrays of readings, several tags per reading and a bare array', async () => {
    const { rec } = await started();
    await publish(
      'oven/telemetry',
      JSON.stringify({
        readings: [
          { t: T0, z1: 180.5, z: { two: 175 } },
          { t: T0 + 1000, z1: 181, z: { two: 176.5 } },
        ],
      }),
    );
    await publish(
      'batch/press-02/temp/extra/levels',
      JSON.stringify([
        { t: T0 + 1, v: 1.5 },
        { t: T0 + 2, v: 2.5 },
      ]),
    );
    await rec.waitFor((s) => s.length === 6);
    expect(rec.samples.map(strip)).toEqual([
      { device: 'oven-01', tag: 'zone1', value: 180.5, quality: 'good', sourceTime: T0 },
      { device: 'oven-01', tag: 'zone2', value: 175, quality: 'good', sourceTime: T0 },
      { device: 'oven-01', tag: 'zone1', value: 181, quality: 'good', sourceTime: T0 + 1000 },
      { device: 'oven-01', tag: 'zone2', value: 176.5, quality: 'good', sourceTime: T0 + 1000 },
      { device: 'press-02', tag: 'temp', value: 1.5, quality: 'good', sourceTime: T0 + 1 },
      { device: 'press-02', tag: 'temp', value: 2.5, quality: 'good', sourceTime: T0 + 2 },
    ]);
  });

  it('counts malformed payloads and unknown topics per device, logs each condition once, and reads other devices on', async () => {
    const { rec } = await started();
    for (let i = 0; i < 3; i++) await publish('ms/press-01/temp', '{"v": 1,');
    for (let i = 0; i < 2; i++) await publish('ms/press-01/temp', JSON.stringify({ t: T0 }));
    for (let i = 0; i < 2; i++) await publish('ms/press-01/count', JSON.stringify({ v: 2.5, t: T0 }));
    await publish('ms/press-01/running', JSON.stringify({ v: 'maybe', t: T0 }));
    await publish('ms/press-01/state', JSON.stringify({ v: 'ok', t: T0 / 1000 }));
    await publish('factory/press-01/temp', 'NaN');
    for (let i = 0; i < 2; i++) await publish('factory/ghost-09/temp', '1');
    await publish('factory/press-01/pressure', '1');
    await publish('factory/press-02/temp', '30.5');
    await rec.waitFor((s) => s.length === 1);
    expect(values(rec.samples)).toEqual([{ device: 'press-02', tag: 'temp', value: 30.5 }]);

    expect(await rec.errors('press-01', 'malformed_payload')).toBe(3 + 2 + 2 + 1 + 1 + 1);
    expect(await rec.errors('press-01', 'unknown_topic')).toBe(1);
    expect(await rec.errors('line1', 'unknown_topic')).toBe(2);
    expect(await rec.errors('press-02', 'malformed_payload')).toBe(0);

    const warnings = rec.logs.filter((l) => l.level === 40);
    const seen = warnings.map((l) => [l.device, l.tag ?? null, l.condition]);
    expect(seen).toEqual([
      ['press-01', null, 'malformed_payload/invalid_json'],
      ['press-01', 'temp', 'malformed_payload/missing_field'],
      ['press-01', 'count', 'malformed_payload/wrong_type'],
      ['press-01', 'running', 'malformed_payload/wrong_type'],
      ['press-01', null, 'malformed_payload/bad_timestamp'],
      ['press-01', 'temp', 'malformed_payload/wrong_type'],
      ['line1', null, 'unknown_topic/unknown_device'],
      ['press-01', null, 'unknown_topic/unknown_tag'],
    ]);
    expect(warnings[6]).toMatchObject({ topic: 'factory/ghost-09/temp', unknownDevice: 'ghost-09' });

    // A good value ends the tag's conditions, and a later failure is logged again.
    await publish('factory/press-01/temp', '20');
    await rec.waitFor((s) => s.length === 2);
    const cleared = rec.logs.filter((l) => l.msg === 'malformed_payload/missing_field cleared');
    expect(cleared).toMatchObject([{ device: 'press-01', tag: 'temp', occurrences: 2 }]);
    await publish('ms/press-01/temp', JSON.stringify({ t: T0 }));
    await waitUntil(
      () => rec.logs.filter((l) => l.condition === 'malformed_payload/missing_field').length === 3,
    );
  });

  it('receives QoS 1 messages published while it was away, from its persistent session', async () => {
    const first = await started({}, 'persistent-1');
    await first.collector.stop();
    for (const n of [1, 2, 3]) await publish('factory/press-01/count', String(n));
    const rec = recordingContext();
    const again = new MqttCollector(config(broker.url, 'persistent-1'), rec.context);
    collectors.push(again);
    await again.start();
    await rec.waitFor((s) => s.length === 3);
    expect(values(rec.samples)).toEqual(
      [1, 2, 3].map((value) => ({ device: 'press-01', tag: 'count', value })),
    );
    expect(first.rec.samples).toEqual([]);
  });

  it('reads retained values once with its own clean session, returning what arrived within the timeout', async () => {
    await publish('factory/press-02/temp', '19.5', true);
    await publish('factory/press-02/count', '3', true);
    await publish('factory/press-02/running', 'false', true);
    const rec = recordingContext();
    const collector = new MqttCollector(config(broker.url, 'reader'), rec.context);
    const startedAt = Date.now();
    const samples = await collector.readOnce({ deviceId: 'press-02', timeoutMs: 1500 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1400);
    // press-02/state is retained by nobody (the probes are not retained): three of four tags.
    expect(values(samples)).toEqual([
      { device: 'press-02', tag: 'temp', value: 19.5 },
      { device: 'press-02', tag: 'count', value: 3 },
      { device: 'press-02', tag: 'running', value: false },
    ]);
    await publish('factory/press-02/state', 'idle', true);
    const quick = Date.now();
    const all = await new MqttCollector(config(broker.url, 'reader'), rec.context).readOnce({
      deviceId: 'press-02',
    });
    expect(all).toHaveLength(4);
    expect(Date.now() - quick).toBeLessThan(3000);
    await expect(collector.readOnce({ deviceId: 'nope', timeoutMs: 10 })).rejects.toThrow(
      'connection line1 has no device nope',
    );
    for (const topic of ['temp', 'count', 'running', 'state'])
      await publish(`factory/press-02/${topic}`, '', true);
  });
});

describe.skipIf(!mosquittoBinary.available)('MQTT collector across broker restarts', () => {
  it('never throws on a dead broker, reconnects with backoff and keeps its session across a broker restart', async () => {
    const port = await freePort();
    const rec = recordingContext();
    const dead = new MqttCollector(config(`mqtt://127.0.0.1:${port}`, 'dead'), rec.context);
    await dead.start();
    await waitUntil(() => rec.logs.some((l) => l.condition === 'disconnected'));
    expect(await rec.errors('press-01', 'disconnected')).toBeGreaterThanOrEqual(1);
    await dead.stop();
    expect(rec.logs.filter((l) => l.condition === 'disconnected')).toHaveLength(1);

    const broker = await startMosquitto();
    let restarted: ServiceProcess | undefined;
    const collector = new MqttCollector(
      config(broker.url, 'restart', { reconnect: { initialDelayMs: 1500, maxDelayMs: 3000 } }),
      rec.context,
    );
    try {
      await collector.start();
      const publisher = await connectAsync(broker.url, { clientId: 'restart-publisher' });
      await waitUntil(() => {
        void publisher.publishAsync('factory/press-01/temp', '1', { qos: 1 });
        return rec.samples.length > 0;
      }, 10_000);
      await publisher.endAsync();
      rec.samples.length = 0;

      await broker.process.stop();
      restarted = new ServiceProcess(
        'mosquitto',
        mosquittoBinary.path as string,
        ['-c', path.join(broker.dir, 'mosquitto.conf')],
        {
          cwd: broker.dir,
        },
      );
      await restarted.waitUntil(async () => {
        await waitForPort(broker.port, 200);
        return true;
      });
      // Published before the collector's next attempt (>= 750 ms away): only the session can keep it.
      const late = await connectAsync(broker.url, { clientId: 'restart-publisher-2' });
      await late.publishAsync('factory/press-01/temp', '99.5', { qos: 1 });
      await late.endAsync();
      await rec.waitFor((s) => s.length === 1, 10_000);
      expect(values(rec.samples)).toEqual([{ device: 'press-01', tag: 'temp', value: 99.5 }]);
      expect(await rec.metrics.connected.get()).toMatchObject({
        values: expect.arrayContaining([{ labels: { device: 'press-01' }, value: 1 }]),
      });
    } finally {
      await collector.stop();
      await restarted?.stop();
      await broker.stop();
    }
  });
});
