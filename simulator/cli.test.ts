/**
 * `shugai simulate` as a process: prints where it serves, publishes births, and on SIGTERM sends
 * NDEATH and exits 0; when killed hard, the broker delivers the NDEATH will. Bad options fail clearly.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../collector/sparkplugb/codec.ts';
import { type Mosquitto, startMosquitto } from '../test/services/mosquitto.ts';
import { freePort } from '../test/services/ports.ts';
import { Capture, mqttToolsAvailable, NODE } from './mqtt/sub-capture.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/shugai.mjs');

function simulate(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(check: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; output:\n${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!mqttToolsAvailable)('shugai simulate (process)', () => {
  let mosquitto: Mosquitto;
  let capture: Capture;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    mosquitto = await startMosquitto();
    capture = new Capture(mosquitto.port);
    await capture.ready();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    capture?.stop();
    await mosquitto?.stop();
  });

  it('prints its endpoints, and on SIGTERM sends NDEATH and exits 0', async () => {
    const modbusPort = await freePort();
    const run = simulate([
      '--no-opcua',
      '--speed',
      '0',
      '--start',
      '2025-03-17T10:00:00+08:00',
      '--seed',
      '7',
      '--modbus-port',
      String(modbusPort),
      '--mqtt-url',
      mosquitto.url,
    ]);
    children.push(run.child);
    await until(() => run.output().includes('Press Ctrl-C'), run.output);
    expect(run.output()).toContain(
      'scenario yongkang-cups, seed 7, speed 0×, simulated start 2025-03-17T02:00:00.000Z',
    );
    expect(run.output()).toContain('16 of 20 production machines networked');
    expect(run.output()).toContain(
      `Modbus   tcp://127.0.0.1:${modbusPort}  unit ids 1=meter-main, 2=meter-furnace, 3=meter-forming, 11=furnace-01`,
    );
    expect(run.output()).toContain('JSON  factory/yongkang-cups/sensors/env-coating-01');
    await capture.until(() => capture.on(`${NODE}/NBIRTH/packing-edge`).length === 1);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await capture.until(() => capture.on(`${NODE}/NDEATH/packing-edge`).length === 1);
  });

  it('leaves its NDEATH will with the broker when killed hard', async () => {
    const run = simulate([
      '--no-opcua',
      '--no-modbus',
      '--speed',
      '0',
      '--start',
      '2025-03-17T10:00:00+08:00',
      '--mqtt-url',
      mosquitto.url,
    ]);
    children.push(run.child);
    await capture.until(() => capture.on(`${NODE}/NBIRTH/packing-edge`).length === 2, 20_000);
    run.child.kill('SIGKILL');
    await run.exited;
    await capture.until(() => capture.on(`${NODE}/NDEATH/packing-edge`).length === 2, 10_000);
    const will = decodePayload(capture.on(`${NODE}/NDEATH/packing-edge`)[1]!.payload);
    const birth = decodePayload(capture.on(`${NODE}/NBIRTH/packing-edge`)[1]!.payload);
    expect(will.metrics[0]).toMatchObject({ name: 'bdSeq' });
    expect(will.metrics[0]!.value).toBe(birth.metrics[0]!.value);
  });

  it('rejects bad options with a clear message', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'simulate', '--start', '2025-03-17T10:00:00', '--no-opcua', '--no-mqtt', '--modbus-port', '0'],
        (error, _out, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("shugai: start time '2025-03-17T10:00:00' needs a zone");
  });
});
