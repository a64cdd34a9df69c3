// PublishReader: PUBLISH packets taken from the socket's bytes, everything else handed to mqtt.js
// whole and in order. Packets are made by mqtt-packet (mqtt.js's own encoder), read back from a
// socket stand-in cut at every byte; then on a real Mosquitto through the collector.
import { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { freePort } from '../../test/services/ports.ts';
import { MqttCollector } from './mqtt.ts';
import { type PublishHandler, PublishReader } from './publish-reader.ts';
import { countConfig, recordingContext, waitUntil } from './testing.ts';

/** A socket stand-in: `receive` is what the broker sends; `written` what was written to it. */
class FakeSocket extends Duplex {
  written: Buffer[] = [];
  paused = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.written.push(chunk);
    callback();
  }
  receive(bytes: Buffer): void {
    this.push(bytes);
  }
  override pause(): this {
    this.paused += 1;
    return super.pause();
  }
}

interface Seen {
  messages: [string, string, boolean][];
  acks: number[][];
  /** What mqtt.js was handed, as packets (mqtt-packet's parser), and what it could not parse. */
  passed: Packet[];
  errors: string[];
}

function reading(
  protocolVersion: 4 | 5,
  overrides: Partial<PublishHandler> = {},
): { socket: FakeSocket; reader: PublishReader; seen: Seen } {
  const socket = new FakeSocket();
  const seen: Seen = { messages: [], acks: [], passed: [], errors: [] };
  const reader = new PublishReader(socket, protocolVersion, {
    connected: () => true,
    message: (topic, payload, dup) => seen.messages.push([topic, payload.toString(), dup]),
    acknowledge: (ids) => seen.acks.push([...ids]),
    pace: () => undefined,
    ...overrides,
  });
  const parser = mqttPacket.parser({ protocolVersion });
  parser.on('packet', (packet) => seen.passed.push(packet));
  parser.on('error', (error) => seen.errors.push(error.message));
  reader.stream.on('data', (bytes: Buffer) => parser.parse(bytes));
  return { socket, reader, seen };
}

const encode = (packet: object, protocolVersion: 4 | 5) =>
  mqttPacket.generate(packet as Packet, { protocolVersion });

const publish = (topic: string, payload: string, qos: 0 | 1 | 2, messageId?: number, extra = {}) => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos,
  dup: false,
  retain: false,
  ...(messageId === undefined ? {} : { messageId }),
  ...extra,
});

/** A broker's traffic: a CONNACK, publishes of every kind, a SUBACK and a PINGRESP between them. */
function traffic(protocolVersion: 4 | 5) {
  const big = 'x'.repeat(300); // a remaining length of two bytes
  const packets = [
    { cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false },
    publish('plant/a/t0', '{"v":1}', 0),
    publish('plant/a/t1', '{"v":2}', 1, 7),
    { cmd: 'suback', messageId: 1, granted: [1] },
    publish('plant/ä/t2', big, 1, 8, { dup: true }),
    { cmd: 'pingresp' },
    publish('plant/b/t0', '', 0),
    publish('plant/b/t1', '{"v":3}', 1, 65535),
  ];
  return { bytes: Buffer.concat(packets.map((p) => encode(p, protocolVersion))), big };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PublishReader', () => {
  for (const protocolVersion of [4, 5] as const)
    it(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: takes QoS 0/1 PUBLISHes, hands mqtt.js the rest in order, however the reads cut the bytes`, async () => {
      const { bytes, big } = traffic(protocolVersion);
      for (const cuts of [
        [],
        [1],
        [bytes.length - 1],
        ...Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1, Math.min(bytes.length - 1, i + 3)]),
      ]) {
        const { socket, seen } = reading(protocolVersion);
        let from = 0;
        for (const cut of [...cuts, bytes.length]) {
          socket.receive(bytes.subarray(from, cut));
          from = cut;
        }
        await flush();
        expect(seen.messages, `cut at ${cuts}`).toEqual([
          ['plant/a/t0', '{"v":1}', false],
          ['plant/a/t1', '{"v":2}', false],
          ['plant/ä/t2', big, true],
          ['plant/b/t0', '', false],
          ['plant/b/t1', '{"v":3}', false],
        ]);
        expect(seen.acks.flat(), `cut at ${cuts}`).toEqual([7, 8, 65535]);
        expect(
          seen.passed.map((p) => p.cmd),
          `cut at ${cuts}`,
        ).toEqual(['connack', 'suback', 'pingresp']);
        expect(seen.errors).toEqual([]);
      }
    });

  it('acknowledges the QoS 1 messages of a read together, in order', async () => {
    const { socket, seen } = reading(4);
    socket.receive(Buffer.concat([1, 2, 3].map((id) => encode(publish('plant/a/t0', `${id}`, 1, id), 4))));
    await flush();
    expect(seen.acks).toEqual([[1, 2, 3]]);
  });

  it('hands mqtt.js what it must handle itself: QoS 2, MQTT 5 properties (topic aliases), and every PUBLISH before its CONNACK is handled', async () => {
    const v5 = reading(5);
    v5.socket.receive(
      Buffer.concat([
        encode(publish('plant/a/t0', 'qos2', 2, 1), 5),
        encode(publish('plant/a/t0', 'alias', 1, 2, { properties: { topicAlias: 3 } }), 5),
      ]),
    );
    await flush();
    expect(v5.seen.messages).toEqual([]);
    expect(v5.seen.passed.map((p) => [p.cmd, (p as { payload: Buffer }).payload.toString()])).toEqual([
      ['publish', 'qos2'],
      ['publish', 'alias'],
    ]);

    let connected = false;
    const early = reading(4, { connected: () => connected });
    early.socket.receive(encode(publish('plant/a/t0', 'early', 1, 1), 4));
    await flush();
    expect(early.seen.passed).toHaveLength(1);
    // Handed to mqtt.js, it keeps the order: later ones follow it there until it is done with it.
    connected = true;
    early.socket.receive(encode(publish('plant/a/t0', 'next', 1, 2), 4));
    await flush();
    expect(early.seen.passed).toHaveLength(2);
    expect(early.seen.messages).toEqual([]);
    early.reader.ownDelivered();
    early.reader.ownDelivered();
    early.socket.receive(encode(publish('plant/a/t0', 'then', 1, 3), 4));
    await flush();
    expect(early.seen.messages).toEqual([['plant/a/t0', 'then', false]]);
    expect(early.seen.acks).toEqual([[3]]);
  });

  it('stops reading while paced, then goes on in order with what came meanwhile', async () => {
    let release: (() => void) | undefined;
    let paced = 0;
    const { socket, seen } = reading(4, {
      pace: () => {
        paced += 1;
        if (paced !== 3) return undefined;
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    });
    const messages = Array.from({ length: 6 }, (_, i) => encode(publish('plant/a/t0', `${i}`, 1, i + 1), 4));
    socket.receive(Buffer.concat(messages.slice(0, 4)));
    await flush();
    expect(seen.messages.map((m) => m[1])).toEqual(['0', '1']);
    expect(seen.acks).toEqual([[1, 2]]);
    expect(socket.paused).toBe(1);
    socket.receive(Buffer.concat(messages.slice(4)));
    await flush();
    expect(seen.messages.map((m) => m[1])).toEqual(['0', '1']);
    release?.();
    await flush();
    await flush();
    expect(seen.messages.map((m) => m[1])).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(seen.acks.flat()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('ends cleanly when the broker ends the connection while paced', async () => {
    let release: (() => void) | undefined;
    const { socket, reader, seen } = reading(4, {
      pace: () =>
        release
          ? undefined
          : new Promise((resolve) => {
              release = () => resolve();
            }),
    });
    const errors: Error[] = [];
    reader.stream.on('error', (error) => errors.push(error));
    const ended = new Promise((resolve) => reader.stream.once('end', resolve));
    socket.receive(
      Buffer.concat([
        encode(publish('plant/a/t0', 'held', 0), 4),
        encode({ cmd: 'suback', messageId: 1, granted: [0] }, 4),
      ]),
    );
    socket.push(null);
    await ended;
    release?.();
    await flush();
    await flush();
    expect(seen.messages).toEqual([['plant/a/t0', 'held', false]]);
    expect(errors).toEqual([]);
  });

  it('does not read the socket while mqtt.js has more than it takes in (its own backpressure)', async () => {
    const socket = new FakeSocket();
    const reader = new PublishReader(socket, 4, {
      connected: () => false, // every PUBLISH is mqtt.js's
      message: () => undefined,
      acknowledge: () => undefined,
      pace: () => undefined,
    });
    const burst = Buffer.concat(
      Array.from({ length: 1000 }, (_, i) => encode(publish('plant/a/t0', `${i}`.padStart(60), 0), 4)),
    );
    socket.receive(burst);
    await flush();
    expect(socket.isPaused()).toBe(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let packets = 0;
    parser.on('packet', () => {
      packets += 1;
    });
    reader.stream.on('data', (bytes: Buffer) => parser.parse(bytes));
    await flush();
    expect(socket.isPaused()).toBe(false);
    expect(packets).toBe(1000);
  });

  it('hands a malformed remaining length and all after it to mqtt.js', async () => {
    const { socket, reader, seen } = reading(4);
    const passed: Buffer[] = [];
    reader.stream.on('data', (bytes: Buffer) => passed.push(bytes));
    // A fifth byte of remaining length: mqtt-packet calls it invalid, and mqtt.js closes the link.
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const after = encode(publish('plant/a/t0', 'after', 0), 4);
    socket.receive(Buffer.concat([encode(publish('plant/a/t0', 'before', 0), 4), bad]));
    socket.receive(after);
    await flush();
    expect(seen.messages).toEqual([['plant/a/t0', 'before', false]]);
    expect(Buffer.concat(passed).toString('hex')).toBe(Buffer.concat([bad, after]).toString('hex'));
    expect(seen.errors).toEqual(['Invalid variable byte integer']);
  });

  it("writes mqtt.js's packets to the socket in order, and closes with it", async () => {
    const { socket, reader } = reading(4);
    reader.stream.write(Buffer.from([0xc0, 0x00]));
    reader.stream.write(Buffer.from([0x40, 0x02, 0x00, 0x01]));
    await flush();
    expect(Buffer.concat(socket.written).toString('hex')).toBe('c00040020001');
    const closed = new Promise((resolve) => reader.stream.once('close', resolve));
    socket.destroy();
    await closed;
    expect(reader.stream.destroyed).toBe(true);
  });
});

describe.skipIf(!mosquittoBinary.available)('PublishReader on Mosquitto', () => {
  let broker: Mosquitto;
  /** The same broker's WebSocket listener (ws://). */
  let wsUrl: string;
  beforeAll(async () => {
    const wsPort = await freePort();
    broker = await startMosquitto([`listener ${wsPort} 127.0.0.1`, 'protocol websockets']);
    wsUrl = `ws://127.0.0.1:${wsPort}`;
  });
  afterAll(async () => {
    await broker?.stop();
  });

  for (const [protocolVersion, transport] of [
    [4, 'TCP'],
    [5, 'TCP'],
    [5, 'WebSocket'],
  ] as const)
    it(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'} over ${transport}: the collector's messages come through it, each once, in order of their QoS`, async () => {
      const taken = vi.spyOn(PublishReader.prototype as unknown as { publish: () => boolean }, 'publish');
      const rec = recordingContext();
      const url = transport === 'TCP' ? broker.url : wsUrl;
      const clientId = `reader-v${protocolVersion}-${transport}`;
      const config = { ...countConfig(url, clientId), protocolVersion };
      const collector = new MqttCollector(config, rec.context);
      await collector.start();
      const { connectAsync } = await import('mqtt');
      const publisher = await connectAsync(broker.url, { clientId: `${clientId}-publisher` });
      try {
        await waitUntil(async () => {
          await publisher.publishAsync('factory/press-01/count', '0', { qos: 1 });
          return rec.samples.length > 0;
        });
        for (let n = 1; n <= 2000; n++)
          void publisher.publishAsync('factory/press-01/count', String(n), { qos: (n % 2) as 0 | 1 });
        await rec.waitFor((samples) => samples.filter((s) => (s.value as number) > 0).length >= 2000, 10_000);
        // Each QoS in order (Mosquitto may put QoS 0 ahead of QoS 1 held by its in-flight window).
        // (Warm-up zeros still on their way are left out.)
        const values = rec.samples.map((s) => s.value as number).filter((v) => v > 0);
        const odd = (v: number) => v % 2 === 1;
        expect(values.filter(odd)).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i + 1));
        expect(values.filter((v) => !odd(v))).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i + 2));
        expect(taken.mock.calls.length).toBeGreaterThanOrEqual(2000);
      } finally {
        taken.mockRestore();
        await publisher.endAsync();
        await collector.stop();
      }
    });
});
