/**
 * A TCP proxy in front of a real broker, to make the link faults a factory network makes: every
 * connection cut at once, the broker's packets to the client held back and thrown away (sent by the
 * broker, never read by the client), or one kind of packet from the broker dropped (a PINGRESP stuck
 * behind a backlog). It splits the broker's byte stream into MQTT packets (fixed header: a type byte
 * and a variable-length remaining length) so that it can drop whole packets.
 */
import net from 'node:net';

/** MQTT control packet types (the high nibble of the first byte). */
export const PINGRESP = 13;

export interface MqttProxy {
  url: string;
  /** Destroys every connection through the proxy, both ways, at once. */
  cut(): void;
  /** While on, the broker's packets to clients are read and thrown away (the broker thinks them sent). */
  swallow(on: boolean): void;
  /** Drops the broker's packets of these types from now on. */
  dropTypes(types: readonly number[]): void;
  /** How many packets from the broker were thrown away by swallow() or dropTypes(). */
  readonly dropped: number;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startMqttProxy(upstreamPort: number): Promise<MqttProxy> {
  const sockets = new Set<net.Socket>();
  let swallowing = false;
  let dropping = new Set<number>();
  let dropped = 0;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const broker = net.connect({ port: upstreamPort, host: '127.0.0.1' });
    for (const s of [client, broker]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        broker.destroy();
      });
    }
    client.pipe(broker);
    let pending: Buffer = Buffer.alloc(0);
    broker.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      const out: Buffer[] = [];
      for (;;) {
        const size = packetSize(pending, offset);
        if (size === undefined) break;
        const type = (pending[offset] as number) >> 4;
        if (swallowing || dropping.has(type)) dropped++;
        else out.push(pending.subarray(offset, offset + size));
        offset += size;
      }
      pending = pending.subarray(offset);
      if (out.length > 0 && !client.destroyed) client.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    swallow: (on) => {
      swallowing = on;
    },
    dropTypes: (types) => {
      dropping = new Set(types);
    },
    get dropped() {
      return dropped;
    },
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole size of the packet starting at `offset`, or undefined until all of it has arrived. */
function packetSize(buffer: Buffer, offset: number): number | undefined {
  let remaining = 0;
  let multiplier = 1;
  for (let i = offset + 1; i < offset + 5; i++) {
    if (i >= buffer.length) return undefined;
    const byte = buffer[i] as number;
    remaining += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      const size = i + 1 - offset + remaining;
      return offset + size <= buffer.length ? size : undefined;
    }
  }
  throw new Error('malformed MQTT remaining length from the broker');
}
