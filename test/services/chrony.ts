import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireBinary } from './binaries.ts';
import { freePort } from './ports.ts';
import { ServiceProcess } from './process.ts';

export const chronydBinary = requireBinary('chronyd', 'chrony');
export const chronycBinary = requireBinary('chronyc', 'chrony');
export const faketimeBinary = requireBinary('faketime', 'faketime');

/**
 * libfaketime, preloaded directly: the `faketime` wrapper forks and waits, so stopping it would leave
 * chronyd running. Debian puts it under /usr/lib/<triplet>/faketime/.
 */
const faketimeLibrary = readdirSync('/usr/lib')
  .map((dir) => path.join('/usr/lib', dir, 'faketime', 'libfaketime.so.1'))
  .find((file) => existsSync(file));

export interface Chrony {
  /** The command socket, for `chronyc -h SOCKET`. */
  socket: string;
  /** The NTP port it serves on 127.0.0.1, when started with `serve`. */
  ntpPort: number;
  stop(): Promise<void>;
}

export interface ChronyOptions {
  /** Serve NTP on a free loopback port, synchronised to its own clock (`local stratum 10`). */
  serve?: boolean;
  /** Follow the NTP server on this loopback port. */
  follow?: number;
  /** Run with the clock shifted by this many seconds (libfaketime): a time server that is wrong. */
  shiftSeconds?: number;
}

/**
 * A real chronyd on loopback that never touches the system clock (-x): unsynchronised when it has
 * no source, its own reference with `serve`, synchronised to another one with `follow`.
 */
export async function startChrony(options: ChronyOptions = {}): Promise<Chrony> {
  if (!chronydBinary.path) throw new Error('chronyd is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-chrony-'));
  // chronyd refuses a command socket in a folder others can enter.
  await chmod(dir, 0o700);
  const socket = path.join(dir, 'chronyd.sock');
  const ntpPort = options.serve ? await freePort() : 0;
  const conf = path.join(dir, 'chrony.conf');
  await writeFile(
    conf,
    [
      `pidfile ${dir}/chronyd.pid`,
      `bindcmdaddress ${socket}`,
      'cmdport 0',
      `port ${ntpPort}`,
      ...(options.serve ? ['bindaddress 127.0.0.1', 'allow 127.0.0.1', 'local stratum 10'] : []),
      ...(options.follow ? [`server 127.0.0.1 port ${options.follow} iburst minpoll -2 maxpoll -2`] : []),
      '',
    ].join('\n'),
  );
  // -x: never adjust the system clock; -d: foreground; -u root: no drop to _chrony, whose home is elsewhere.
  const args = ['-x', '-d', '-u', 'root', '-f', conf];
  const shift = options.shiftSeconds;
  if (shift !== undefined && !faketimeLibrary) throw new Error('libfaketime is not installed');
  const env =
    shift === undefined
      ? process.env
      : { ...process.env, LD_PRELOAD: faketimeLibrary, FAKETIME: `${shift >= 0 ? '+' : ''}${shift}s` };
  const proc = new ServiceProcess('chronyd', chronydBinary.path, args, { env });
  await proc.waitUntil(async () => proc.log.includes('Running with root privileges'), 10_000);
  return {
    socket,
    ntpPort,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
