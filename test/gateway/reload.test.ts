// Hot reload and the health endpoints of a running gateway process.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { freePort } from '../services/ports.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../services/pymodbus.ts';
import { LAYOUT, loadPlant, until, writePlant } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');

describe.skipIf(!pymodbusBinary.available)('gateway reload and health', () => {
  let plc: PymodbusServer;
  beforeAll(async () => {
    plc = await startPymodbusTcp(LAYOUT);
  });
  afterAll(async () => {
    await plc?.stop();
  });

  it('restarts only the connections that changed and keeps the buffer', async () => {
    const file = await writePlant({ modbusPort: plc.port, sinks: 'sinks: [{ type: embedded }]' });
    const text = await readFile(file, 'utf8');
    // A second connection to the same PLC, as another device.
    const second = text
      .slice(text.indexOf('  - id: plc-net'))
      .replace('id: plc-net', 'id: plc-two')
      .replace('id: press-1', 'id: press-2');
    await writeFile(file, `${text}${second}`);
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    await until(() => gateway.health().buffer.appended >= 4, 20_000, 'polls appended');
    const before = gateway.health().buffer.appended;
    await writeFile(file, `${text}${second.replace('pollIntervalMs: 100', 'pollIntervalMs: 200')}`);
    const changes = await gateway.reload(loadPlant(file));
    expect(changes).toEqual({ restarted: ['plc-two'], added: [], removed: [] });
    await writeFile(file, text);
    expect(await gateway.reload(loadPlant(file))).toEqual({ restarted: [], added: [], removed: ['plc-two'] });
    expect(gateway.health().connections).toEqual(['plc-net']);
    // The same buffer goes on: its sequence continues from where it was.
    await until(() => gateway.health().buffer.appended > before + 4, 20_000, 'appends after reload');
    await gateway.stop();
  });

  it('serves /healthz, /readyz and /metrics, refuses a bad config on SIGHUP and applies a good one', async () => {
    const port = await freePort();
    const file = await writePlant({ modbusPort: plc.port, sinks: 'sinks: [{ type: embedded }]' });
    const good = (await readFile(file, 'utf8')).replace('http: { port: 0 }', `http: { port: ${port} }`);
    await writeFile(file, good);
    const child: ChildProcess = spawn(process.execPath, [BIN, 'gateway', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200,
        30_000,
        'ready',
      );
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = (await (await fetch(`${base}/readyz`)).json()) as {
        gateway: string;
        connections: string[];
      };
      expect(ready).toMatchObject({ ready: true, gateway: 'gw-test', connections: ['plc-net'] });
      expect((await fetch(`${base}/nowhere`)).status).toBe(404);
      await until(
        async () =>
          /shugai_collector_samples_total\{device="press-1",quality="good"\} [1-9]/.test(
            await (await fetch(`${base}/metrics`)).text(),
          ),
        20_000,
        'samples counted',
      );
      // The process's own figures beside the gateway's, resident memory first among them.
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
        /^process_resident_memory_bytes [1-9]\d{6,}$/m,
      );

      // A broken edit is refused with its line; the gateway keeps running the old config.
      await writeFile(file, good.replace('unitId: 1', 'unitId: many'));
      child.kill('SIGHUP');
      await until(() => stderr.includes('new config refused'), 10_000, 'refusal logged');
      expect(stderr).toMatch(/plant\.yaml:\d+ connections\[0\]\.devices\[0\]\.unitId/);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      // A good edit adds a device, which starts reporting.
      await writeFile(file, good.replace(/id: press-1/, 'id: press-9'));
      child.kill('SIGHUP');
      await until(
        async () =>
          /device="press-9",quality="good"\} [1-9]/.test(await (await fetch(`${base}/metrics`)).text()),
        20_000,
        'new device reporting',
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(child.exitCode).toBe(0);
  });
});
