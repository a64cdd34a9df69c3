// `shugai demo` as a user runs it (npm start): a child process that prints where to look, fills the
// embedded store from all protocols, summarises, and stops cleanly on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../gateway/plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');

describe('shugai demo', () => {
  let dir: string;
  let dataDir: string;
  let child: ChildProcess;
  let out = '';
  let err = '';
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-demo-'));
    dataDir = path.join(dir, 'demo');
    child = spawn(process.execPath, [BIN, 'demo', '--data-dir', dataDir, '--free-ports', '--summary', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    await until(() => out.includes('Press Ctrl-C to stop.') || exited(), 150_000, 'the demo to start').catch(
      (error: Error) => {
        throw new Error(`${error.message}\nstdout:\n${out}\nstderr:\n${err}`);
      },
    );
    if (exited()) throw new Error(`the demo exited (${child.exitCode}):\n${out}\n${err}`);
  }, 180_000);

  afterAll(async () => {
    if (child && !exited()) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the simulator endpoints, the health and metrics URLs and the store', async () => {
    expect(out).toMatch(/^OPC UA {3}opc\.tcp:\/\/[^\s]+:\d+ {2}namespace urn:shugai:simulator/m);
    expect(out).toMatch(/^Modbus {3}tcp:\/\/127\.0\.0\.1:\d+ {2}unit ids 1=meter-main, 2=meter-furnace/m);
    expect(out).toMatch(/^MQTT {5}mqtt:\/\/127\.0\.0\.1:\d+ \(embedded broker\)$/m);
    expect(out).toContain('Sparkplug B  spBv1.0/yongkang-cups/+/packing-edge');
    expect(out).toContain(`store   ${path.join(dataDir, 'samples.db')}`);
    expect(out).toContain(`config  ${path.join(dataDir, 'plant.yaml')}`);
    const health = /health {2}(http:\/\/127\.0\.0\.1:\d+)\/readyz {4}metrics {2}\1\/metrics/.exec(out);
    expect(health).not.toBeNull();
    const readyz = await fetch(`${health![1]}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ ready: true, gateway: 'demo-gw' });
    const metrics = await (await fetch(`${health![1]}/metrics`)).text();
    expect(metrics).toContain('shugai_sink_samples_total');
  });

  it('fills the embedded store from OPC UA, Modbus, MQTT and Sparkplug B devices, with derived states', async () => {
    const file = path.join(dataDir, 'samples.db');
    const wanted = ['lathe-01', 'meter-main', 'env-workshop-01', 'packing-line-01'];
    let devices: string[] = [];
    let states: string[] = [];
    await until(
      () => {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          devices = db
            .prepare<[], { device: string }>('SELECT DISTINCT device FROM samples')
            .all()
            .map((r) => r.device);
          states = db
            .prepare<[], { value: string }>(
              "SELECT value FROM samples WHERE device = 'lathe-01' AND tag = 'machine_state' AND type = 's'",
            )
            .all()
            .map((r) => r.value);
        } finally {
          db.close();
        }
        return wanted.every((d) => devices.includes(d)) && states.length > 0;
      },
      30_000,
      'samples of every protocol in the store',
    );
    expect(devices).toEqual(expect.arrayContaining(wanted));
    for (const state of states)
      expect(['running', 'idle', 'planned_stop', 'fault', 'offline']).toContain(state);
    await until(() => /devices reporting/.test(out), 10_000, 'a summary line');
    expect(out).toMatch(
      /^\[\d\d:\d\d:\d\d\] stored: embedded [\d,]+ · buffer [\d.]+ (B|KiB|MiB) · \d+\/22 devices reporting$/m,
    );
  });

  it('stops on SIGINT: the gateway flushes, the simulator stops, exit code 0', async () => {
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const asked = Date.now();
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(out).toContain(`stopped. The data stays in ${dataDir}.`);
  });
});
