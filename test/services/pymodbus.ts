import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Binary, requireBinary } from './binaries.ts';
import { freePort } from './ports.ts';
import { ServiceProcess } from './process.ts';

/**
 * A real Modbus peer for tests: pymodbus (Debian's python3-pymodbus, 3.0.0rc1) serving a register
 * layout given as JSON, over TCP on a free port or as an RTU slave on one end of a socat pty pair.
 */

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pymodbus_server.py');

function requirePymodbus(): Binary {
  const python = requireBinary('/usr/bin/python3', 'python3-pymodbus');
  if (!python.path) return python;
  const probe = spawnSync(python.path, ['-c', 'import pymodbus, serial, serial_asyncio'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return python;
  const line = `python3 cannot import pymodbus/pyserial/serial_asyncio: install 'python3-pymodbus python3-serial python3-serial-asyncio' (${probe.stderr.trim()})`;
  if (process.env.SHUGAI_REQUIRE_SERVICES === '1') throw new Error(`SHUGAI_REQUIRE_SERVICES=1 and ${line}`);
  console.warn(`\n!!!!! SKIPPING tests that need ${line} !!!!!\n`);
  return { ...python, path: undefined, available: false };
}

export const pymodbusBinary = requirePymodbus();
export const socatBinary = requireBinary('socat', 'socat');

/** A typed value, encoded by pymodbus's BinaryPayloadBuilder (64-bit integers as decimal strings). */
export type LayoutValue =
  | {
      address: number;
      type: 'int16' | 'uint16' | 'int32' | 'uint32' | 'float16' | 'float32' | 'float64';
      value: number;
      byteorder?: 'big' | 'little';
      wordorder?: 'big' | 'little';
    }
  | {
      address: number;
      type: 'int64' | 'uint64';
      value: string;
      byteorder?: 'big' | 'little';
      wordorder?: 'big' | 'little';
    }
  | {
      address: number;
      type: 'string';
      value: string;
      length: number;
      swapBytes?: boolean;
      encoding?: string;
    };

export interface LayoutTable {
  /** Raw values from a start address: register values, or 0/1 for coils and discrete inputs. */
  blocks?: Record<number, number[]>;
  values?: LayoutValue[];
}

/** Per unit id; addresses missing from a table answer exception 02, unit ids missing do not answer. */
export interface PymodbusLayout {
  units: Record<
    number,
    { coils?: LayoutTable; discrete?: LayoutTable; holding?: LayoutTable; input?: LayoutTable }
  >;
}

export interface PymodbusServer {
  /** TCP port, or the serial device path the client opens. */
  port: number;
  path: string;
  process: ServiceProcess;
  /** Kills the server (SIGKILL: the peer vanishes) and keeps its layout for restart(). */
  halt(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function writeLayout(layout: PymodbusLayout): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-pymodbus-'));
  const file = path.join(dir, 'layout.json');
  await writeFile(file, JSON.stringify(layout));
  return { dir, file };
}

async function launch(args: string[]): Promise<ServiceProcess> {
  if (!pymodbusBinary.path) throw new Error('python3 with pymodbus is not installed');
  const proc = new ServiceProcess('pymodbus', pymodbusBinary.path, [SCRIPT, ...args]);
  await proc.waitUntil(async () => proc.log.includes('READY'), 15_000);
  return proc;
}

/** A running pymodbus process that can be killed and started again with the same arguments. */
async function serve(
  args: string[],
  where: { port: number; path: string },
  cleanup: () => Promise<void>,
): Promise<PymodbusServer> {
  let proc = await launch(args);
  return {
    ...where,
    get process() {
      return proc;
    },
    async halt() {
      proc.signal('SIGKILL');
      await proc.stop();
    },
    async restart() {
      proc = await launch(args);
    },
    async stop() {
      await proc.stop();
      await cleanup();
    },
  };
}

/** Starts a pymodbus Modbus TCP server on a free loopback port (or the given one). */
export async function startPymodbusTcp(layout: PymodbusLayout, port?: number): Promise<PymodbusServer> {
  const { dir, file } = await writeLayout(layout);
  const tcpPort = port ?? (await freePort());
  return serve(['--layout', file, '--tcp-port', String(tcpPort)], { port: tcpPort, path: '' }, () =>
    rm(dir, { recursive: true, force: true }),
  );
}

/** Starts a socat pty pair and a pymodbus RTU slave on one end; `path` is the other end, for the client. */
export async function startPymodbusRtu(layout: PymodbusLayout, baud = 19_200): Promise<PymodbusServer> {
  if (!socatBinary.path) throw new Error('socat is not installed');
  const { dir, file } = await writeLayout(layout);
  const serverEnd = path.join(dir, 'slave');
  const clientEnd = path.join(dir, 'master');
  const socat = new ServiceProcess('socat', socatBinary.path, [
    '-d',
    '-d',
    `pty,raw,echo=0,link=${serverEnd}`,
    `pty,raw,echo=0,link=${clientEnd}`,
  ]);
  await socat.waitUntil(async () => existsSync(serverEnd) && existsSync(clientEnd), 5000);
  return serve(
    ['--layout', file, '--serial', serverEnd, '--baud', String(baud)],
    { port: 0, path: clientEnd },
    async () => {
      await socat.stop();
      await rm(dir, { recursive: true, force: true });
    },
  );
}
