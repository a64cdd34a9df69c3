// SIGKILL under MQTT QoS 1 load: Mosquitto sends again what the gateway had not acknowledged, some
// of it already stored and signed before the kill. Every message is stored once, and the store
// verifies clean: a resent reading is a repeat, not a second signed point.
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { until } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const MESSAGES = 3000;
const TAGS = 5;
const KILLS = 4;

describe.skipIf(!mosquittoBinary.available)('gateway killed under MQTT QoS 1 load', () => {
  let broker: Mosquitto;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    broker = await startMosquitto(['max_queued_messages 0']);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await broker?.stop();
  });

  it(`stores every message once across ${KILLS} SIGKILLs, and the store verifies clean`, {
    timeout: 180_000,
  }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-mqtt-kill-'));
    const config = path.join(dir, 'plant.yaml');
    const fields = Array.from({ length: TAGS }, (_, i) => `c${i}: v${i}`).join(', ');
    const tags = Array.from({ length: TAGS }, (_, i) => `{ id: c${i}, type: integer }`).join(', ');
    await writeFile(
      config,
      [
        'gateway: { id: gw-kill, dataDir: ./data }',
        'http: { port: 0 }',
        'forward: { flushInterval: 100ms }',
        'sinks: [{ type: embedded }]',
        'connections:',
        '  - id: line',
        '    protocol: mqtt',
        `    url: ${broker.url}`,
        '    clientId: gw-kill',
        '    reconnect: { initialDelayMs: 100, maxDelayMs: 300 }',
        '    subscriptions:',
        `      - { topic: line/press, device: press, qos: 1, timestamp: t, timestampFormat: epoch_ms, fields: { ${fields} } }`,
        '      - { topic: line/probe, device: probe, tag: seen, qos: 1, format: plain }',
        '    devices:',
        `      - { id: press, production: true, businessLinks: [生产管控], tags: [${tags}] }`,
        '      - { id: probe, production: false, businessLinks: [生产管控], tags: [{ id: seen, type: integer }] }',
        '',
      ].join('\n'),
    );
    const run = () => spawn(process.execPath, [BIN, 'gateway', '--config', config], { stdio: 'ignore' });
    const store = path.join(dir, 'data', 'samples.db');
    const stored = async (device = 'press') => {
      try {
        const reader = new EmbeddedStore('check', store, { readonly: true });
        const summary = await reader.summarize({ from: 0, to: Date.now() + 86_400_000 });
        await reader.close();
        return summary.filter((s) => s.device === device).reduce((n, s) => n + s.counts.good, 0);
      } catch {
        return 0; // not created yet
      }
    };
    child = run();
    const publisher = await connectAsync(broker.url, { clientId: 'kill-publisher' });
    // The gateway's session exists once a probe gets through; from then on the broker keeps its messages.
    let probe = 0;
    await until(
      async () => {
        await publisher.publishAsync('line/probe', String(++probe), { qos: 1 });
        return (await stored('probe')) > 0;
      },
      60_000,
      'the gateway subscribed',
    );
    const base = Date.UTC(2026, 0, 7, 8);
    const publishing = (async () => {
      for (let i = 0; i < MESSAGES; i++) {
        const payload: Record<string, number> = { t: base + i * 100 };
        for (let k = 0; k < TAGS; k++) payload[`v${k}`] = i * TAGS + k;
        await publisher.publishAsync('line/press', JSON.stringify(payload), { qos: 1 });
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 900));
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      child = run();
    }
    await publishing;
    await publisher.endAsync();
    await until(async () => (await stored()) === MESSAGES * TAGS, 90_000, 'every message stored');
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    child = undefined;
    expect(await stored()).toBe(MESSAGES * TAGS);

    const reader = new EmbeddedStore('check', store, { readonly: true });
    const report = await verifyStore({
      reader,
      publicKey: createPublicKey(await readFile(path.join(dir, 'data', 'identity', 'gateway.pub'))),
      gatewayId: 'gw-kill',
      window: { from: base - 60_000, to: Date.now() + 60_000 },
    });
    await reader.close();
    expect(report.findings).toEqual([]);
    expect(report.clean).toBe(true);
  });
});
