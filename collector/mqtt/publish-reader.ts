/**
 * The broker's PUBLISH packets read straight from the socket's bytes. mqtt.js turns each into a
 * packet object through mqtt-packet's parser (Buffer views on every field read), then passes it
 * through an event and a process.nextTick: about a fifth of the gateway's main thread on one value a
 * message, and a quarter of what it allocated (bench/README.md). Here a PUBLISH costs a topic string
 * and a view of its payload.
 *
 * mqtt.js keeps the protocol. It is given a stream that stands for the socket (`stream`): what it
 * writes goes to the socket in order, and every packet not taken here reaches it whole and in order:
 * CONNACK, SUBACK, PINGRESP, QoS 2, an MQTT 5 PUBLISH with properties (topic aliases), and any
 * PUBLISH while it is not connected or still has one of its own to finish (so messages, and their
 * PUBACKs, keep the broker's order).
 */
import { Duplex } from 'node:stream';

export interface PublishHandler {
  /** Whether mqtt.js is connected (a PUBLISH before its CONNACK is handled is left to it). */
  connected(): boolean;
  /** One message, as mqtt.js's 'message' event gives it: `dup` is the DUP flag. */
  message(topic: string, payload: Buffer, dup: boolean): void;
  /** The packet ids of QoS 1 messages taken here, in the order received: each needs its PUBACK. */
  acknowledge(packetIds: number[]): void;
  /** Before each message: a promise to wait for first (backpressure, or the end of a turn), or undefined. */
  pace(): Promise<void> | undefined;
}

const PUBLISH = 3;

export class PublishReader {
  /** The stream mqtt.js reads and writes in place of the socket. */
  readonly stream: Duplex;
  /** PUBLISH packets handed to mqtt.js whose message it has not delivered yet (ownDelivered). */
  private ownPending = 0;
  /** Bytes of a packet that the last read cut off, and what waits while paced. */
  private rest: Buffer | undefined;
  private waiting = false;
  /** After a malformed packet: every byte goes to mqtt.js as it comes. */
  private passAll = false;
  /** The broker ended the connection: mqtt.js has been told, and takes no more bytes. */
  private ended = false;
  /** mqtt.js has more than it takes in (its handling waits, e.g. on the gateway's backpressure). */
  private blocked = false;
  private acks: number[] = [];

  constructor(
    private readonly socket: Duplex,
    private readonly protocolVersion: 4 | 5,
    private readonly handler: PublishHandler,
  ) {
    this.stream = new Duplex({
      read: () => this.unblock(),
      write(chunk, encoding, callback) {
        if (socket.write(chunk, encoding)) callback();
        else socket.once('drain', () => callback());
      },
      final(callback) {
        socket.end();
        callback();
      },
      destroy(error, callback) {
        socket.destroy(error ?? undefined);
        callback(error);
      },
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.stream.push(null);
    });
    socket.on('error', (error) => this.stream.destroy(error));
    socket.on('close', () => this.stream.destroy());
  }

  /**
   * mqtt.js is done with a message it was handed (its PUBACK is sent or held): once it has none left,
   * PUBLISH packets are taken here again.
   */
  ownDelivered(): void {
    if (this.ownPending > 0) this.ownPending -= 1;
  }

  private read(chunk: Buffer): void {
    if (this.passAll) {
      this.pass(chunk);
      return;
    }
    if (this.waiting) {
      // Read before the pause took effect: kept after what waits.
      this.rest = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
      return;
    }
    this.take(this.rest ? Buffer.concat([this.rest, chunk]) : chunk);
  }

  /** Takes the whole packets of `bytes`: PUBLISH packets here, runs of others to mqtt.js. */
  private take(bytes: Buffer): void {
    this.rest = undefined;
    let at = 0;
    let passFrom = -1;
    while (at + 2 <= bytes.length) {
      // Fixed header: type and flags, then the remaining length in 1-4 bytes of 7 bits each.
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < bytes.length; n++) {
        const byte = bytes[i] as number;
        i += 1;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i - at - 1 < 4) break; // the length itself is cut off
        // Malformed: mqtt.js gets the rest, and closes the link.
        this.passAll = true;
        this.pass(bytes.subarray(passFrom >= 0 ? passFrom : at));
        return;
      }
      const end = i + length;
      if (end > bytes.length) break;
      const first = bytes[at] as number;
      const qos = (first >> 1) & 3;
      let taken = false;
      if (first >> 4 === PUBLISH && qos < 2 && this.ownPending === 0 && this.handler.connected()) {
        const wait = this.handler.pace();
        if (wait) {
          if (passFrom >= 0) this.pass(bytes.subarray(passFrom, at));
          this.pause(bytes.subarray(at), wait);
          return;
        }
        taken = this.publish(bytes, first, qos, i, end);
      }
      if (!taken) {
        if (passFrom < 0) passFrom = at;
        if (first >> 4 === PUBLISH) this.ownPending += 1;
      } else if (passFrom >= 0) {
        this.pass(bytes.subarray(passFrom, at));
        passFrom = -1;
      }
      at = end;
    }
    if (passFrom >= 0) this.pass(bytes.subarray(passFrom, at));
    this.flushAcks();
    // The cut-off packet's bytes are copied: a view would keep the whole read alive.
    if (at < bytes.length) this.rest = Buffer.from(bytes.subarray(at));
  }

  /**
   * A PUBLISH of QoS 0 or 1 whose variable header starts at `at` and which ends at `end`; false when
   * it is mqtt.js's to handle (MQTT 5 properties) or malformed (mqtt.js reports it).
   */
  private publish(bytes: Buffer, first: number, qos: number, at: number, end: number): boolean {
    if (at + 2 > end) return false;
    const topicEnd = at + 2 + bytes.readUInt16BE(at);
    let payloadAt = topicEnd + (qos === 1 ? 2 : 0);
    // MQTT 5: only a PUBLISH without properties (length 0) is taken here.
    if (this.protocolVersion === 5) {
      if (payloadAt >= end || bytes[payloadAt] !== 0) return false;
      payloadAt += 1;
    }
    if (payloadAt > end) return false;
    const topic = bytes.toString('utf8', at + 2, topicEnd);
    if (qos === 1) this.acks.push(bytes.readUInt16BE(topicEnd));
    this.handler.message(topic, bytes.subarray(payloadAt, end), (first & 0x08) !== 0);
    return true;
  }

  /**
   * Bytes for mqtt.js (none once the broker ended the connection: what a pause held back is late).
   * While it has more than its stream holds, the socket is not read, as mqtt.js's own pipe would do.
   */
  private pass(bytes: Buffer): void {
    if (this.ended || this.stream.push(bytes) || this.blocked) return;
    this.blocked = true;
    this.socket.pause();
  }

  /** mqtt.js wants more. */
  private unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    if (!this.waiting) this.socket.resume();
  }

  private flushAcks(): void {
    if (this.acks.length === 0) return;
    const acks = this.acks;
    this.acks = [];
    this.handler.acknowledge(acks);
  }

  /** Stops reading until `wait` resolves, then takes `bytes` (and whatever came meanwhile). */
  private pause(bytes: Buffer, wait: Promise<void>): void {
    this.flushAcks();
    this.rest = bytes;
    this.waiting = true;
    this.socket.pause();
    const resume = () => {
      this.waiting = false;
      const rest = this.rest;
      if (rest) this.take(rest);
      if (!this.waiting && !this.blocked) this.socket.resume();
    };
    wait.then(resume, resume);
  }
}
