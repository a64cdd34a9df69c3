/**
 * One SNTP query (RFC 4330): how far this clock is from a time server's. Enough to tell a box whose
 * clock is off by seconds; it does not discipline the clock (chrony or systemd-timesyncd do).
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface SntpAnswer {
  /** Server clock minus ours, ms (positive: ours is behind). */
  offsetMs: number;
  /** Round trip less the server's own time, ms. */
  delayMs: number;
  stratum: number;
  /** The server says it is not synchronised itself (leap indicator 3). */
  serverUnsynchronised: boolean;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`; port 123 unless given. */
export function parseServer(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const port = match?.[3] === undefined ? 123 : Number(match[3]);
  if (!match || port < 1 || port > 65535)
    throw new Error(`"${text}" is not a time server; write HOST or HOST:PORT`);
  return { host: (match[1] ?? match[2]) as string, port };
}

function readTimestamp(packet: Buffer, offset: number): number {
  return (
    (packet.readUInt32BE(offset) - NTP_UNIX_OFFSET_S) * 1000 +
    (packet.readUInt32BE(offset + 4) / 2 ** 32) * 1000
  );
}

function writeTimestamp(packet: Buffer, offset: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  packet.writeUInt32BE(seconds + NTP_UNIX_OFFSET_S, offset);
  packet.writeUInt32BE(Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32), offset + 4);
}

export function sntpQuery(
  server: { host: string; port: number },
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<SntpAnswer> {
  const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
  return new Promise<SntpAnswer>((resolve, reject) => {
    const request = Buffer.alloc(48);
    request[0] = (4 << 3) | 3; // version 4, mode 3 (client)
    const t0 = now();
    // The server echoes our transmit time as its originate time: an answer to another question is ignored.
    writeTimestamp(request, 40, t0);
    const sent = request.subarray(40, 48);
    const timer = setTimeout(
      () => reject(new Error(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('message', (packet) => {
      const t3 = now();
      if (packet.length < 48 || ((packet[0] as number) & 7) !== 4 || !packet.subarray(24, 32).equals(sent))
        return;
      clearTimeout(timer);
      const stratum = packet[1] as number;
      if (stratum === 0) {
        reject(
          new Error(
            `${server.host}:${server.port} refused the query (kiss-o'-death ${packet.subarray(12, 16).toString('latin1')})`,
          ),
        );
        return;
      }
      const t1 = readTimestamp(packet, 32); // server received
      const t2 = readTimestamp(packet, 40); // server sent
      resolve({
        offsetMs: (t1 - t0 + (t2 - t3)) / 2,
        delayMs: t3 - t0 - (t2 - t1),
        stratum,
        serverUnsynchronised: (packet[0] as number) >> 6 === 3,
      });
    });
    socket.send(request, server.port, server.host);
  }).finally(() => socket.close());
}
