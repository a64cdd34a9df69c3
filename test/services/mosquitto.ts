import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { requireBinary } from './binaries.ts';
import { freePort, waitForPort } from './ports.ts';
import { ServiceProcess } from './process.ts';

export const mosquittoBinary = requireBinary('mosquitto', 'mosquitto');

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  readonly process: ServiceProcess;
  /** Stops the broker, keeping its port and persisted sessions for restart(). */
  halt(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real Mosquitto broker on a free loopback port with its own temporary folder. */
export async function startMosquitto(extraConfig: readonly string[] = []): Promise<Mosquitto> {
  if (!mosquittoBinary.path) throw new Error('mosquitto is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence_location ${dir}/`,
      'persistence true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // Run as root, Mosquitto would drop to user "mosquitto", which cannot use our private temp folder.
      `user ${userInfo().username}`,
      ...extraConfig,
      '',
    ].join('\n'),
  );
  const binary = mosquittoBinary.path;
  let proc: ServiceProcess;
  const launch = async () => {
    proc = new ServiceProcess('mosquitto', binary, ['-c', conf], { cwd: dir });
    await proc.waitUntil(async () => {
      await waitForPort(port, 200);
      return true;
    });
  };
  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    get process() {
      return proc;
    },
    async halt() {
      await proc.stop();
    },
    restart: launch,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
