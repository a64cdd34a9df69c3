// Values that are not what they seem, through real peers into both real stores: NaN and infinities
// from an OPC UA server and MQTT, text with newlines and 4-byte characters, two readings of a tag
// with one timestamp, a resent message, and an OPC UA outage. Every store verifies with no finding.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../../collector/opcua/test-server.ts';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { type Sample, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { InfluxReader } from '../../gateway/sinks/influxdb/reader.ts';
import type { SampleReader } from '../../gateway/store/reader.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../services/influxdb.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { freePort } from '../services/ports.ts';
import { pymodbusBinary, startPymodbusTcp } from '../services/pymodbus.ts';
import { LAYOUT, loadPlant, TAGS_PER_POLL, until, writePlant } from './plant.ts';

const available = influxdBinary.available && mosquittoBinary.available && pymodbusBinary.available;
const T = Date.UTC(2026, 0, 6, 8); // MQTT payload times

const TEXTS = ['line 1\nline 2', 'a\rb\tc', 'say "合格" \\ done', 'C:\\recipe\\', '🏭 4-byte 𠀀𪚥', ''];

async function all(reader: SampleReader, device: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of reader.samples({ from: 0, to: Date.now() + 60_000, device })) out.push(s);
  return out;
}

describe.skipIf(!available)('values that are not what they seem', () => {
  let influx: InfluxDB;
  let broker: Mosquitto;
  let opcua: TestServer;
  let opcuaPort: number;
  let dir: string;
  let publisher: MqttClient;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-values-'));
    opcuaPort = await freePort();
    [influx, broker, opcua] = await Promise.all([
      startInfluxDB(),
      startMosquitto(),
      TestServer.start({ port: opcuaPort, pkiDir: path.join(dir, 'server-pki') }),
    ]);
    publisher = await connectAsync(broker.url, { clientId: 'values-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await Promise.all([influx?.stop(), broker?.stop(), opcua?.stop()]);
  });

  it('stores NaN as bad, text exactly, one reading per tag and time, marks an outage, and verifies clean', {
    timeout: 120_000,
  }, async () => {
    const file = path.join(dir, 'plant.yaml');
    await writeFile(
      file,
      [
        'gateway: { id: gw-values, dataDir: ./data }',
        'http: { port: 0 }',
        'forward: { flushInterval: 100ms }',
        'sinks:',
        `  - { name: influx, type: influxdb, version: 1, url: "${influx.url}", database: values }`,
        '  - { name: local, type: embedded }',
        'connections:',
        '  - id: oven-plc',
        '    protocol: opcua',
        `    endpoint: opc.tcp://127.0.0.1:${opcuaPort}`,
        '    securityMode: None',
        '    securityPolicy: None',
        '    pkiDir: ./pki',
        '    reconnect: { initialDelayMs: 100, maxDelayMs: 400 }',
        '    groups: [{ id: fast, intervalMs: 100 }]',
        '    devices:',
        '      - id: oven',
        '        production: true',
        '        businessLinks: [能耗管理]',
        '        tags:',
        '          - { id: temp, type: number, nodeId: "nsu=urn:shugai:test:plant;s=Temperature", samplingIntervalMs: 50 }',
        '  - id: hmi-broker',
        '    protocol: mqtt',
        `    url: ${broker.url}`,
        '    clientId: gw-values',
        '    subscriptions: [{ topic: "hmi/{tag}", device: hmi, qos: 1, value: v, timestamp: t, timestampFormat: epoch_ms }]',
        '    devices:',
        '      - id: hmi',
        '        production: false',
        '        businessLinks: [生产管控]',
        '        tags: [{ id: note, type: string }, { id: level, type: number }]',
        '',
      ].join('\n'),
    );
    const from = Date.now() - 1000;
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    const metric = async (name: string) =>
      (await gateway.registry.getSingleMetric(name)?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
    const stored = (reader: SampleReader, device: string) => all(reader, device);
    const local = new EmbeddedStore('check', path.join(dir, 'data', 'samples.db'), { readonly: true });

    // OPC UA: a good value, NaN, +Infinity, a good value again, each waited for in the store.
    const temps = () => stored(local, 'oven').then((s) => s.map((x) => String(x.value)));
    for (const value of [21.5, Number.NaN, Number.POSITIVE_INFINITY, 22.5]) {
      opcua.set('Temperature', value);
      await until(async () => (await temps()).includes(String(value)), 20_000, `temperature ${value} stored`);
    }
    // MQTT: infinity as text, texts, two readings with one time, a resend.
    const send = (tag: string, v: unknown, t: number) =>
      publisher.publishAsync(`hmi/${tag}`, JSON.stringify({ v, t }), { qos: 1 });
    await send('level', '1e999', T);
    for (const [i, text] of TEXTS.entries()) await send('note', text, T + i);
    await send('level', 5, T + 1000);
    await send('level', 6, T + 1000); // whole-second timestamps, twice a second: the first wins
    await send('level', 5, T + 1000); // a resend
    await send('level', 7, T + 2000);
    await until(
      async () => (await stored(local, 'hmi')).length === 1 + TEXTS.length + 2,
      20_000,
      'MQTT stored',
    );

    // An OPC UA outage: the last value is marked bad once; back, the first fresh reading is good.
    await opcua.stop();
    await until(
      async () => (await stored(local, 'oven')).some((s) => s.statusCode === STATUS_NO_COMMUNICATION),
      30_000,
      'stale mark',
    );
    opcua = await TestServer.start({ port: opcuaPort, pkiDir: path.join(dir, 'server-pki') });
    opcua.set('Temperature', 23.5);
    await until(async () => (await temps()).at(-1) === '23.5', 30_000, 'fresh value after the outage');

    expect(await metric('shugai_ingest_nonfinite_samples_total')).toBe(3);
    expect(await metric('shugai_ingest_conflicting_samples_total')).toBe(1);
    await gateway.stop();
    await local.close();

    const publicKey: KeyObject = createPublicKey(
      await readFile(path.join(dir, 'data', 'identity', 'gateway.pub')),
    );
    const readers: [string, SampleReader][] = [
      ['embedded', new EmbeddedStore('check', path.join(dir, 'data', 'samples.db'), { readonly: true })],
      ['influxdb', new InfluxReader({ url: influx.url, database: 'values' })],
    ];
    for (const [name, reader] of readers) {
      const oven = await stored(reader, 'oven');
      const marks = oven.filter((s) => s.statusCode === STATUS_NO_COMMUNICATION);
      expect(
        marks.map((s) => [s.value, s.quality]),
        name,
      ).toEqual([[22.5, 'bad']]);
      expect(
        oven.filter((s) => !Number.isFinite(s.value)).map((s) => [String(s.value), s.quality]),
        name,
      ).toEqual([
        ['NaN', 'bad'],
        ['Infinity', 'bad'],
      ]);
      expect(oven.at(-1)?.quality, name).toBe('good');
      const hmi = await stored(reader, 'hmi');
      expect(
        hmi.filter((s) => s.tag === 'note').map((s) => s.value),
        name,
      ).toEqual(TEXTS);
      expect(
        hmi.filter((s) => s.tag === 'level').map((s) => [s.sourceTime - T, String(s.value), s.quality]),
        name,
      ).toEqual([
        [0, 'Infinity', 'bad'],
        [1000, '5', 'good'],
        [2000, '7', 'good'],
      ]);
      const report = await verifyStore({
        reader,
        publicKey,
        gatewayId: 'gw-values',
        window: { from: Math.min(from, T - 1000), to: Date.now() + 1000 },
      });
      expect(report.findings, name).toEqual([]);
      expect(report.clean, name).toBe(true);
      await reader.close();
    }
  });

  it('marks Modbus and MQTT tags stale once when their links are lost, good again on fresh data', {
    timeout: 90_000,
  }, async () => {
    const plc = await startPymodbusTcp(LAYOUT);
    const modbusDir = path.dirname(
      await writePlant({ modbusPort: plc.port, sinks: 'sinks: [{ type: embedded }]' }),
    );
    const file = path.join(modbusDir, 'plant.yaml');
    const mqtt = [
      '  - id: hmi-broker',
      '    protocol: mqtt',
      `    url: ${broker.url}`,
      '    clientId: gw-stale',
      '    reconnect: { initialDelayMs: 100, maxDelayMs: 300 }',
      '    subscriptions: [{ topic: "line/{tag}", device: hmi, qos: 1, format: plain }]',
      '    devices: [{ id: hmi, production: false, businessLinks: [生产管控], tags: [{ id: speed, type: number }] }]',
      '',
    ].join('\n');
    await writeFile(file, (await readFile(file, 'utf8')) + mqtt);
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    const store = new EmbeddedStore('check', path.join(modbusDir, 'data', 'samples.db'), { readonly: true });
    const marks = async (device: string) =>
      (await all(store, device)).filter((s) => s.statusCode === STATUS_NO_COMMUNICATION);
    await until(async () => (await all(store, 'press-1')).length >= TAGS_PER_POLL, 20_000, 'Modbus data');
    await publisher.publishAsync('line/speed', '12.5', { qos: 1 });
    await until(async () => (await all(store, 'hmi')).length === 1, 20_000, 'MQTT data');

    await plc.halt();
    await until(async () => (await marks('press-1')).length === TAGS_PER_POLL, 20_000, 'Modbus stale marks');
    expect((await marks('press-1')).map((s) => [s.tag, s.value, s.quality])).toEqual(
      [101, 102, 103, 104, 105].map((v, i) => [`r${i}`, v, 'bad']),
    );
    await plc.restart();
    await until(
      async () => (await all(store, 'press-1')).at(-1)?.quality === 'good',
      20_000,
      'Modbus good again',
    );

    await broker.halt();
    await until(async () => (await marks('hmi')).length === 1, 20_000, 'MQTT stale mark');
    expect((await marks('hmi')).map((s) => [s.tag, s.value, s.quality])).toEqual([['speed', 12.5, 'bad']]);
    // Still away a while later: marked once only.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await marks('hmi')).toHaveLength(1);
    await broker.restart();
    const again = await connectAsync(broker.url, { clientId: 'values-publisher-2' });
    await until(
      async () => {
        await again.publishAsync('line/speed', '13', { qos: 1 });
        return (await all(store, 'hmi')).at(-1)?.value === 13;
      },
      30_000,
      'MQTT good again',
    );
    await again.endAsync();
    await gateway.stop();
    expect(await marks('press-1')).toHaveLength(TAGS_PER_POLL); // the Modbus reconnect tries marked nothing more
    await store.close();
    await plc.stop();
  });
});
