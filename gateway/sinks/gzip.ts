/** Request bodies compressed as a sink's `gzip` setting says (schema.ts: gzipSetting). */
import { BlockList, isIP } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const compress = promisify(gzip);

/**
 * The gzip level a sink uses, false for none. Unset: level 1, except for a store on this machine (a
 * loopback address or `localhost`), where a body crosses no wire and compressing it is CPU spent on
 * both sides for nothing (0.4–0.8 µs a sample in isolation, bench/sink-gzip.ts; with two busy
 * cores, a third of the gateway's CPU on ten values per MQTT message, bench/README.md).
 */
export function gzipLevel(setting: boolean | number | undefined, url: URL): number | false {
  if (setting === undefined) return isLoopback(url.hostname) ? false : 1;
  return setting === true ? 1 : setting;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is checked as the IPv4 address it maps.
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The body to send: compressed at `level`, or as it is (false). */
export async function gzipBody(body: string | Buffer, level: number | false): Promise<string | Buffer> {
  if (level === false) return body;
  return compress(body, { level });
}
