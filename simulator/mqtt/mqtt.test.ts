/**
 * The MQTT side seen by mosquitto_sub on a real Mosquitto broker: JSON sensor documents and the
 * Sparkplug B edge node (births, DDATA by alias, seq wrap, rebirth on NCMD, NDEATH on stop).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, decodePayload, encodePayload, type Payload } from '../../collector/sparkplugb/codec.ts';
import { type Mosquitto, startMosquitto } from '../../test/services/mosquitto.ts';
import { freePort } from '../../test/services/ports.ts';
import { type RunningSimulator, startSimulator } from '../index.ts';
import type { SparkplugAddress } from '../plant/types.ts';
import { sensorPayload } from './sensors.ts';
import { mqttToolsAvailable as available, Capture, type Message, NODE, pubBinary } from './sub-capture.ts';

const sparkplug = (m: Message): Payload => decodePayload(m.payload);

/** The simulator with its MQTT side only (seed 42), frozen at 10:07:30 unless given a speed and start. */
function mqttSimulator(
  mqtt: { url?: string; port?: number; intervalMs: number },
  speed = 0,
  start = '2025-03-17T10:07:30+08:00',
): Promise<RunningSimulator> {
  return startSimulator({ seed: 42, speed, start, opcua: false, modbus: false, mqtt });
}

/** Mosquitto on a free port and a capture on it, subscribed by the time this resolves. */
async function captureOnMosquitto(): Promise<{ mosquitto: Mosquitto; capture: Capture }> {
  const mosquitto = await startMosquitto();
  const capture = new Capture(mosquitto.port);
  await capture.ready();
  return { mosquitto, capture };
}

/** Stops what a block started: the simulator first, then the capture, then the broker. */
async function stopAll(sim?: RunningSimulator, capture?: Capture, mosquitto?: Mosquitto): Promise<void> {
  await sim?.stop();
  capture?.stop();
  await mosquitto?.stop();
}

describe.skipIf(!available)('MQTT JSON sensors and Sparkplug B edge node on Mosquitto', () => {
  let mosquitto: Mosquitto;
  let capture: Capture;
  let sim: RunningSimulator;
  let dir: string;
  beforeAll(async () => {
    ({ mosquitto, capture } = await captureOnMosquitto());
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-sim-mqtt-'));
    sim = await mqttSimulator({ url: mosquitto.url, intervalMs: 200 });
  });
  afterAll(async () => {
    await stopAll(sim, capture, mosquitto);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes each sensor as a JSON document with the model values', async () => {
    const topics = sim.mqtt!.sensorTopics;
    expect(topics).toEqual([
      'factory/yongkang-cups/sensors/env-workshop-01',
      'factory/yongkang-cups/sensors/env-coating-01',
      'factory/yongkang-cups/sensors/air-01',
    ]);
    await capture.until(() => topics.every((t) => capture.on(t).length > 0));
    for (const topic of topics) {
      const id = topic.split('/').at(-1)!;
      const doc = JSON.parse(capture.on(topic)[0]!.payload.toString());
      expect(doc).toEqual(sensorPayload(sim.plant, id, sim.clock.now()));
      expect(doc.ts).toBe(Date.parse('2025-03-17T02:07:30Z'));
    }
  });

  it('sends NBIRTH with bdSeq and Node Control/Rebirth, then DBIRTH with every metric and its alias', async () => {
    await capture.until(() => capture.on(`${NODE}/DBIRTH/packing-edge/packing-line-01`).length > 0);
    const nbirth = sparkplug(capture.on(`${NODE}/NBIRTH/packing-edge`)[0]!);
    expect(nbirth.seq).toBe(0);
    expect(nbirth.metrics.map((m) => [m.name, m.alias, m.datatype, m.value])).toEqual([
      ['bdSeq', undefined, DataType.UInt64, 0],
      ['Node Control/Rebirth', 1, DataType.Boolean, false],
    ]);
    const dbirth = sparkplug(capture.on(`${NODE}/DBIRTH/packing-edge/packing-line-01`)[0]!);
    expect(dbirth.seq).toBe(1);
    const t = sim.clock.now();
    expect(dbirth.timestamp).toBe(t);
    const device = sim.plant.device('packing-line-01');
    expect(dbirth.metrics.map((m) => [m.name, m.alias, m.datatype, m.value])).toEqual(
      device.tags.map((tag) => {
        const a = tag.address as SparkplugAddress;
        return [a.metric, a.alias, DataType[a.datatype], sim.plant.valueAt(device.id, tag.id, t)];
      }),
    );
    expect(dbirth.metrics.find((m) => m.name === 'Production/GoodCount')!.value).toBeGreaterThan(1_000_000);
    // Time is frozen: nothing changes, so no DDATA (report by exception).
    await new Promise((r) => setTimeout(r, 500));
    expect(capture.on(`${NODE}/DDATA/packing-edge/packing-line-01`)).toHaveLength(0);
  });

  it('re-sends the births when NCMD asks for a rebirth', async () => {
    const file = path.join(dir, 'ncmd.bin');
    await writeFile(
      file,
      encodePayload({
        timestamp: Date.now(),
        metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true }],
      }),
    );
    await new Promise<void>((resolve, reject) => {
      execFile(
        pubBinary.path!,
        ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-t', `${NODE}/NCMD/packing-edge`, '-f', file],
        (error) => (error ? reject(error) : resolve()),
      );
    });
    await capture.until(() => capture.on(`${NODE}/DBIRTH/packing-edge/packing-line-01`).length === 2);
    const second = sparkplug(capture.on(`${NODE}/NBIRTH/packing-edge`)[1]!);
    expect(second.seq).toBe(0);
    expect(second.metrics[0]).toMatchObject({ name: 'bdSeq', value: 0 });
    expect(sparkplug(capture.on(`${NODE}/DBIRTH/packing-edge/packing-line-01`)[1]!).seq).toBe(1);
    expect(sim.mqtt!.sparkplug[0]!.births).toBe(2);
  });

  it('sends NDEATH with the same bdSeq when stopped', async () => {
    await sim.stop();
    await capture.until(() => capture.on(`${NODE}/NDEATH/packing-edge`).length > 0);
    const death = sparkplug(capture.on(`${NODE}/NDEATH/packing-edge`)[0]!);
    expect(death.metrics).toEqual([
      expect.objectContaining({ name: 'bdSeq', datatype: DataType.UInt64, value: 0 }),
    ]);
  });
});

describe.skipIf(!available)('Sparkplug B DDATA while time runs', () => {
  let mosquitto: Mosquitto;
  let capture: Capture;
  let sim: RunningSimulator;
  beforeAll(async () => {
    ({ mosquitto, capture } = await captureOnMosquitto());
  });
  afterAll(() => stopAll(sim, capture, mosquitto));

  it('sends changed metrics by alias with the model values, seq wrapping 255 → 0', async () => {
    sim = await mqttSimulator({ url: mosquitto.url, intervalMs: 10 }, 3600, '2025-03-17T08:30:00+08:00');
    const topic = `${NODE}/DDATA/packing-edge/packing-line-01`;
    await capture.until(() => capture.on(topic).length >= 260, 15_000);
    const device = sim.plant.device('packing-line-01');
    const byAlias = new Map(device.tags.map((tag) => [(tag.address as SparkplugAddress).alias, tag.id]));
    const seqs = [sparkplug(capture.on(`${NODE}/DBIRTH/packing-edge/packing-line-01`)[0]!).seq];
    for (const message of capture.on(topic)) {
      const payload = sparkplug(message);
      seqs.push(payload.seq);
      for (const metric of payload.metrics) {
        expect(metric.name).toBeUndefined();
        expect(metric.value).toBe(
          sim.plant.valueAt(device.id, byAlias.get(metric.alias!)!, payload.timestamp!),
        );
      }
    }
    seqs.slice(1).forEach((seq, i) => {
      expect(seq).toBe((seqs[i]! + 1) % 256);
    });
    expect(seqs).toContain(255);
  });
});

describe.skipIf(!available)('embedded broker (no --mqtt-url)', () => {
  let sim: RunningSimulator;
  let capture: Capture;
  afterAll(() => stopAll(sim, capture));

  it('runs aedes on the given port and publishes there', async () => {
    sim = await mqttSimulator({ port: await freePort(), intervalMs: 100 });
    expect(sim.mqtt!.embedded).toBe(true);
    capture = new Capture(Number(new URL(sim.mqtt!.url).port));
    await capture.ready();
    await capture.until(() => capture.on('factory/yongkang-cups/sensors/air-01').length > 0);
    expect(sim.mqtt!.sparkplug[0]!.births).toBe(1);
  });
});
