/**
 * The broker link shared by the MQTT and Sparkplug B collectors: config fields (URL, client id,
 * credentials, TLS, backoff), and MqttLink, an mqtt.js client that reconnects with exponential
 * backoff and jitter. mqtt.js only knows a fixed reconnectPeriod, so its own reconnect is switched
 * off (reconnectPeriod 0) and every 'close' schedules the next attempt here.
 */
import './quiet-debug.ts';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { z } from 'zod';
import type { Logger } from '../../core/log.ts';
import type { ConditionLog } from '../conditions.ts';
import { reconnectSchema } from '../schema.ts';
import { PublishReader } from './publish-reader.ts';

const URL_SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];
const TLS_SCHEMES = ['mqtts:', 'ssl:', 'wss:'];

const brokerUrlSchema = z
  .string()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a URL: ${value}` });
      return;
    }
    if (!URL_SCHEMES.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `broker URL scheme must be one of ${URL_SCHEMES.join(' ')}` });
    }
    // Credentials in a URL end up in logs and process listings.
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'put credentials in username/password, not in the URL' });
    }
  })
  .describe('Broker URL: mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://');

const tlsSchema = z
  .object({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM file with the CA certificate(s) the broker certificate must chain to; default: system CAs',
      ),
    cert: z.string().min(1).optional().describe('PEM file with the client certificate (mutual TLS)'),
    key: z.string().min(1).optional().describe('PEM file with the client private key (mutual TLS)'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe(
        'Refuse a broker certificate that does not verify; false is logged as a warning at every start',
      ),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe('Host name to verify the broker certificate against, when it differs from the URL host'),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
    message: 'tls.cert and tls.key go together',
  })
  .describe('TLS settings; only with an mqtts://, ssl:// or wss:// URL');

/** The broker connection fields, spread into each collector's connection schema. */
export const brokerFields = {
  url: brokerUrlSchema,
  clientId: z
    .string()
    .min(1)
    .max(128)
    .describe(
      'MQTT client id, stable across restarts and unique on the broker (two clients with one id evict each other)',
    ),
  username: z.string().min(1).optional().describe('MQTT user name'),
  password: z.string().min(1).optional().describe('MQTT password (never logged)'),
  tls: tlsSchema.optional(),
  protocolVersion: z
    .union([z.literal(4), z.literal(5)])
    .default(5)
    .describe('MQTT protocol version: 5 (MQTT 5.0) or 4 (MQTT 3.1.1)'),
  keepaliveSeconds: z.number().int().min(5).max(3600).default(30).describe('MQTT keep-alive interval'),
  receiveMaximum: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(1000)
    .describe(
      'MQTT 5: QoS 1/2 messages the broker may send before the gateway acknowledges them; it acknowledges a message once it is on disk, so a small window waits on every sync (Mosquitto sends 20 at a time unless told)',
    ),
  connectTimeoutMs: z
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Give up a connection attempt after this long'),
  reconnect: reconnectSchema.prefault({}),
};

const brokerSchema = z.object(brokerFields);
export type BrokerConfig = z.infer<typeof brokerSchema>;

/** Checks the cross-field rules of the broker fields; call from the collector schema's superRefine. */
export function checkBrokerConfig(config: BrokerConfig, ctx: z.RefinementCtx): void {
  if (config.tls !== undefined && !TLS_SCHEMES.some((s) => config.url.startsWith(s))) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: 'tls settings need an mqtts://, ssl:// or wss:// URL',
    });
  }
  if (config.password !== undefined && config.username === undefined) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password needs a username' });
  }
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, jittered to 50–100%. */
export function backoffDelay(
  attempt: number,
  settings: { initialDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const base = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface LinkOptions {
  /** The connection id, used as the subject of link conditions in logs. */
  connectionId: string;
  broker: BrokerConfig;
  /** Overrides broker.clientId (a one-shot read must not take over the gateway's session). */
  clientId?: string;
  /** Persistent session: clean false, and with MQTT 5 this session expiry. */
  session: { clean: true } | { clean: false; expirySeconds: number };
  /** Built before every connection attempt, so a will can carry the attempt's timestamp. */
  will?: () => Will;
  log: Logger;
  conditions: ConditionLog;
  /** Every CONNACK; sessionPresent false means the broker holds no subscriptions for us. */
  onConnect(sessionPresent: boolean): void;
  /** `resent`: the broker sent it before (DUP), so the gateway may already hold it. */
  onMessage(topic: string, payload: Buffer, resent: boolean): void;
  /** Every closed connection or failed attempt while running. */
  onClose(): void;
  /** With a persistent session: QoS 1 messages are acknowledged (PUBACK) only once this resolves. */
  durable?: () => Promise<void>;
  /** The gateway's backpressure (CollectorContext.relieved): no packet is read while it waits. */
  relieved?: () => Promise<void> | undefined;
}

/** A PUBACK as mqtt.js builds one for a QoS 1 message. */
interface Ack {
  cmd: string;
  messageId?: number;
  reasonCode?: number;
  properties?: unknown;
}

/**
 * The PUBACKs as one buffer, when each is the plain one (success, no properties: 0x40 0x02 and the
 * packet id, in MQTT 3.1.1 and 5 alike); undefined if any is not. A number is the plain PUBACK of
 * that packet id (publish-reader.ts).
 */
export function plainAcks(acks: readonly (Ack | number)[]): Buffer | undefined {
  const bytes = Buffer.allocUnsafe(4 * acks.length);
  for (let i = 0; i < acks.length; i++) {
    const ack = acks[i] as Ack | number;
    const id = typeof ack === 'number' ? ack : plainAckId(ack);
    if (id === undefined || !Number.isInteger(id) || id < 1 || id > 0xffff) return undefined;
    bytes.writeUInt32BE(0x40020000 + id, 4 * i);
  }
  return bytes;
}

/** The packet id of a plain PUBACK (success, no properties); undefined for any other packet. */
function plainAckId({ cmd, messageId, reasonCode, properties }: Ack): number | undefined {
  return cmd === 'puback' && properties === undefined && (reasonCode ?? 0) === 0 ? messageId : undefined;
}

/**
 * mqtt.js sends a QoS 1 PUBACK as soon as the message is handed over, when it is only in memory: a
 * power cut before the buffer's fsync would lose it, the broker having forgotten it. Here PUBACKs
 * wait until `durable()` resolves; mqtt.js goes on reading meanwhile (waiting in handleMessage would
 * allow one message per fsync), and the broker's in-flight window bounds what waits. If the link
 * drops first, the broker delivers those messages again: at least once, end to end.
 * This wraps mqtt.js's private `_sendPacket` (mqtt 5.x); ack.test.ts proves the behaviour.
 */
function holdAcks(client: MqttClient, durable: () => Promise<void>): (packetIds: number[]) => void {
  type Send = (packet: Ack, cb?: (error?: Error) => void, ...rest: unknown[]) => void;
  const internals = client as unknown as { _sendPacket: Send };
  const send = internals._sendPacket.bind(client) as Send;
  let held: (Ack | number)[] = [];
  let waiting = false;
  // Only the acknowledgements queued before a durable() call are sent when it resolves: a message
  // that arrived meanwhile waits for the next one.
  const release = () => {
    if (waiting || held.length === 0) return;
    waiting = true;
    const ready = held;
    held = [];
    const acknowledge = () => {
      // A connected link gets them in one write, in the order received, as MQTT asks: mqtt.js would
      // make three writes and a tick per PUBACK. Otherwise (or for an unusual one) mqtt.js sends
      // each as it would have: offline, it keeps them for the next connection.
      const bytes = client.connected && client.stream?.writable ? plainAcks(ready) : undefined;
      if (bytes) client.stream.write(bytes);
      else for (const ack of ready) send(typeof ack === 'number' ? { cmd: 'puback', messageId: ack } : ack);
      waiting = false;
      release();
    };
    // A failed append is counted as dropped by the gateway; holding its PUBACK would stall the link.
    durable().then(acknowledge, acknowledge);
  };
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
    // The callback lets mqtt.js parse the next packet; the acknowledgement itself waits.
    cb?.();
    held.push(packet);
    release();
  };
  // Those of the messages publish-reader.ts took: after any mqtt.js had, as they came.
  return (packetIds) => {
    for (const id of packetIds) held.push(id);
    release();
  };
}

/**
 * Any packet the broker sends answers an outstanding PINGREQ. mqtt.js waits for the PINGRESP itself,
 * but a broker queues it behind the PUBLISH packets it already has for us: draining a backlog after
 * an outage (tens of thousands of messages) took longer than the ping timeout, the link was failed
 * while data kept arriving, and at QoS 0 what the broker still held was lost. PINGREQs still go out
 * every keep-alive interval, so the broker's own keep-alive check (on what we send) still holds.
 */
function answerPingsWithTraffic(client: MqttClient): () => void {
  let pingOutstanding = false;
  client.on('packetsend', (packet) => {
    if (packet.cmd === 'pingreq') pingOutstanding = true;
  });
  const heard = (cmd: string) => {
    if (!pingOutstanding) return;
    pingOutstanding = false;
    if (cmd !== 'pingresp') client.reschedulePing(true);
  };
  client.on('packetreceive', (packet) => heard(packet.cmd));
  // A PUBLISH that publish-reader.ts took (mqtt.js never sees it).
  return () => heard('publish');
}

/**
 * How long messages are handled before the event loop gets a turn (timers, disk writes, HTTP). What
 * one turn accepts is one buffer record (gateway/ingest/ingest.ts): turns of 64 messages made
 * one-value messages pay a record's fixed costs every 64 samples; 5 ms turns took the gateway's CPU
 * from 12.4 to 10.1 µs a sample there (ten values a message: unchanged; bench/README.md).
 */
const TURN_MS = 5;

/** One MQTT client that keeps reconnecting with backoff until stop(). */
export class MqttLink {
  private client: MqttClient | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: LinkOptions) {}

  /** Reads the TLS files and starts connecting; resolves at once, whether the broker is up or not. */
  async start(): Promise<void> {
    const { broker, connectionId, log } = this.options;
    const clientOptions: IClientOptions = {
      clientId: this.options.clientId ?? broker.clientId,
      protocolVersion: broker.protocolVersion,
      keepalive: broker.keepaliveSeconds,
      connectTimeout: broker.connectTimeoutMs,
      clean: this.options.session.clean,
      reconnectPeriod: 0,
      resubscribe: false,
      // Stale QoS 0 messages (e.g. rebirth requests) must not pile up in memory while offline.
      queueQoSZero: false,
      // mqtt-packet would otherwise keep a Buffer for each of the 65,536 packet ids (~7 MB of heap
      // that every full collection marks) to save a two-byte write per packet sent.
      writeCache: false,
      // mqtt.js logs through `debug` several times per packet, each call checking whether it is on;
      // without DEBUG set nothing would be printed, so its logger is not called at all.
      ...(process.env.DEBUG ? {} : { log: () => {} }),
      ...(await tlsOptions(broker, connectionId)),
    };
    if (broker.username !== undefined) clientOptions.username = broker.username;
    if (broker.password !== undefined) clientOptions.password = broker.password;
    if (broker.protocolVersion === 5)
      clientOptions.properties = {
        receiveMaximum: broker.receiveMaximum,
        ...(this.options.session.clean ? {} : { sessionExpiryInterval: this.options.session.expirySeconds }),
      };
    if (broker.tls?.rejectUnauthorized === false) {
      log.warn(
        { connection: connectionId },
        'TLS certificate verification is OFF (tls.rejectUnauthorized: false)',
      );
    }
    if (this.options.will) clientOptions.will = this.options.will();
    const client = connect(broker.url, { ...clientOptions, manualConnect: true });
    this.client = client;
    // A backlog of packets is handled in one chain of callbacks, which starves timers and disk
    // writes for seconds after a reconnect; yield to the event loop every TURN_MS (turns.test.ts).
    // While the gateway's buffer is behind, the next message waits and the socket is not read.
    let turnStarted = performance.now();
    const pace = (): Promise<void> | undefined => {
      const wait = this.options.relieved?.();
      if (wait) return wait;
      if (performance.now() - turnStarted < TURN_MS) return undefined;
      return new Promise((resolve) =>
        setImmediate(() => {
          turnStarted = performance.now();
          resolve();
        }),
      );
    };
    let reader: PublishReader | undefined;
    client.handleMessage = (_packet, callback) => {
      const of = reader;
      const done = () => {
        callback();
        of?.ownDelivered();
      };
      const wait = pace();
      if (wait) wait.then(done);
      else done();
    };
    const hold =
      this.options.durable && !this.options.session.clean
        ? holdAcks(client, this.options.durable)
        : undefined;
    const heard = answerPingsWithTraffic(client);
    // Each connection's socket is read by a PublishReader, which stands in for it towards mqtt.js.
    const internals = client as unknown as { streamBuilder: (client: MqttClient) => Duplex };
    const build = internals.streamBuilder;
    internals.streamBuilder = (c) => {
      reader = new PublishReader(build(c), broker.protocolVersion, {
        connected: () => client.connected,
        message: (topic, payload, dup) => {
          heard();
          this.deliver(topic, payload, dup);
        },
        acknowledge: (packetIds) => {
          if (hold) hold(packetIds);
          else client.stream.write(plainAcks(packetIds) as Buffer);
        },
        pace,
      });
      return reader.stream;
    };
    client.on('connect', (connack) => {
      this.attempt = 0;
      this.options.conditions.clear({ device: connectionId }, 'disconnected');
      this.options.onConnect(connack.sessionPresent);
    });
    client.on('message', (topic, payload, packet) => this.deliver(topic, payload, packet.dup === true));
    client.on('error', (error) => {
      // A write cut short by our own stop() is not a broker failure.
      if (this.stopping) return;
      this.options.conditions.raise({ device: connectionId }, 'disconnected', 'MQTT broker link failed', {
        url: broker.url,
        error: error.message,
      });
    });
    client.on('close', () => {
      if (this.stopping) return;
      this.options.conditions.raise({ device: connectionId }, 'disconnected', 'MQTT broker link closed', {
        url: broker.url,
      });
      this.options.onClose();
      this.scheduleReconnect(client);
    });
    client.connect();
  }

  private deliver(topic: string, payload: Buffer, resent: boolean): void {
    try {
      this.options.onMessage(topic, payload, resent);
    } catch (error) {
      // A bug in handling one message must not take the link (or the process) down.
      this.options.conditions.raise(
        { device: this.options.connectionId },
        'handler_failed',
        'message handling failed',
        { topic, error: (error as Error).message },
      );
    }
  }

  /** Subscribes with the given filters; rejects when the broker refuses one (e.g. by ACL). */
  async subscribe(filters: Record<string, { qos: 0 | 1 | 2; rh?: 0 | 1 | 2 }>): Promise<void> {
    try {
      await this.requireClient().subscribeAsync(filters);
    } catch (error) {
      throw new Error(`subscribing to ${Object.keys(filters).join(', ')}: ${(error as Error).message}`);
    }
  }

  /** Publishes; resolves once written (QoS 0) or acknowledged (QoS 1/2). */
  async publish(
    topic: string,
    payload: Buffer | Uint8Array | string,
    opts: IClientPublishOptions,
  ): Promise<void> {
    await this.requireClient().publishAsync(topic, Buffer.from(payload), opts);
  }

  /** Runs `beforeDisconnect` while still connected (bounded by 2 s), then disconnects; never throws. */
  async stop(beforeDisconnect?: () => Promise<void>): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const client = this.client;
    if (!client) return;
    if (beforeDisconnect && client.connected) {
      await withTimeout(beforeDisconnect(), 2000).catch((error: unknown) => {
        this.options.log.warn(
          { connection: this.options.connectionId, error: (error as Error).message },
          'final publish before disconnect failed',
        );
      });
    }
    await withTimeout(client.endAsync(), 2000).catch(() => client.end(true));
  }

  private scheduleReconnect(client: MqttClient): void {
    if (this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt, this.options.broker.reconnect);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      if (this.options.will) client.options.will = this.options.will();
      // Keep the in-flight stores: reconnect() would otherwise start with empty ones.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error(`MQTT connection "${this.options.connectionId}" is not started`);
    return this.client;
  }
}

async function tlsOptions(broker: BrokerConfig, connectionId: string): Promise<IClientOptions> {
  const tls = broker.tls;
  if (!tls) return {};
  const read = async (field: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
    const file = tls[field];
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      throw new Error(
        `MQTT connection "${connectionId}": cannot read tls.${field} ${file}: ${(error as Error).message}`,
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
