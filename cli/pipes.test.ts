// `shugai … | head`: the real CLI whose reader closes the pipe early. Every command must end quietly
// (exit 141, as SIGPIPE ends a C tool; a failure keeps its own code), never with an EPIPE stack trace.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../test/cli.ts';
import { LAYOUT, writePlant } from '../test/gateway/plant.ts';
import { freePort } from '../test/services/ports.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../test/services/pymodbus.ts';
import { EXIT_CLOSED_PIPE } from './pipes.ts';

// Each run starts the whole CLI; on a busy 2-core box that takes seconds.
const RUN_TIMEOUT_MS = 120_000;

interface Closed {
  code: number | null;
  /** What the command wrote to the stream that stayed open. */
  other: string;
}

/** Runs the CLI with `closed` (stdout or stderr) closed by its reader before the command writes a byte. */
function runClosed(args: string[], closed: 'stdout' | 'stderr'): Promise<Closed> {
  const child = spawn(process.execPath, ['bin/shugai.mjs', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHUGAI_LOG_LEVEL: 'silent' },
  });
  child[closed].destroy();
  let other = '';
  child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', (chunk: Buffer) => {
    other += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, other })));
}

let dir: string;
let modbus: PymodbusServer | undefined;
let plant: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-pipes-'));
  if (!pymodbusBinary.available) return;
  modbus = await startPymodbusTcp(LAYOUT);
  plant = await writePlant({ modbusPort: modbus.port, sinks: '' });
}, 30_000);

afterAll(async () => {
  await modbus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (plant) await rm(path.dirname(plant), { recursive: true, force: true });
});

describe('a closed stdout or stderr', { timeout: RUN_TIMEOUT_MS }, () => {
  it.each([[['config', 'schema']], [['policy', 'list']], [['policy', 'list', '--json']]])(
    'ends `shugai %j` quietly with exit 141',
    async (args) => {
      expect(await runClosed(args, 'stdout')).toEqual({ code: EXIT_CLOSED_PIPE, other: '' });
    },
  );

  it.skipIf(!pymodbusBinary.available)(
    'ends `shugai read --once --format json` against a real PLC quietly with exit 141',
    async () => {
      const run = await runClosed(['read', '--config', plant, '--once', '--format', 'json'], 'stdout');
      expect(run).toEqual({ code: EXIT_CLOSED_PIPE, other: '' });
    },
  );

  it('keeps a failure exit code when stdout or stderr is closed', async () => {
    const missing = path.join(dir, 'missing.yaml');
    // Nothing can be said on a closed stderr; the exit code still says the config was refused.
    expect(await runClosed(['config', 'check', missing], 'stderr')).toEqual({ code: 2, other: '' });
    const port = await freePort();
    const dead = path.join(dir, 'dead.yaml');
    await writeFile(
      dead,
      `gateway: { id: gw }\nconnections:\n  - { id: plc, protocol: modbus, transport: tcp, host: 127.0.0.1, port: ${port}, addressBase: 0, devices: [{ id: p, unitId: 1, production: true, businessLinks: [生产管控], tags: [{ id: t, type: boolean, register: coil, address: 0 }] }] }\n`,
    );
    // A read that failed (nothing listens) exits 1, as with an open stdout.
    expect(await runClosed(['read', '--config', dead, '--timeout', '500'], 'stdout')).toEqual({
      code: 1,
      other: '',
    });
  });

  it('behind `| head -1` in a shell: the first line, then exit 141 with nothing on stderr', async () => {
    // The schema (about 125 KB) is more than the pipe holds, so the command is still writing when head exits.
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-c', 'set -o pipefail; node bin/shugai.mjs config schema | head -1'],
        { cwd: ROOT },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(run).toEqual({ code: EXIT_CLOSED_PIPE, stdout: '{\n', stderr: '' });
  });
});
