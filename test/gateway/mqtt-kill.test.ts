// SIGKILLs and broken links under MQTT QoS 1 load: Mosquitto sends again what the gateway had not
// acknowledged, some of it already stored and signed, some never read. Every message is stored
// once, and the store verifies clean: a resent reading is a repeat, not a second signed point, and
// one the gateway never read is stored, not mistaken for a repeat.
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { startMqttProxy } from '../services/mqtt-proxy.ts';
import { until } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const MESSAGES = 3000;
const TAGS = 5;
const KILLS = 4;

/** A gateway reading `line/press` (five integer fields) and `line/probe` at QoS 1 into its embedded store. */
async function plant(id: string, url: string) {
  const dir = await mkdtemp(path.join(tmpdir(), `shugai-${id}-`));
  const config = path.join(dir, 'plant.yaml');
  const fields = Array.from({ length: TAGS }, (_, i) => `c${i}: v${i}`).join(', ');
  const tags = Array.from({ length: TAGS }, (_, i) => `{ id: c${i}, type: integer }`).join(', ');
  await writeFile(
    config,
    [
      `gateway: { id: ${id}, dataDir: ./data }`,
      'http: { port: 0 }',
      'forward: { flushInterval: 100ms }',
      'sinks: [{ type: embedded }]',
      'connections:',
      '  - id: line',
      '    protocol: mqtt',
      `    url: ${url}`,
      `    clientId: ${id}`,
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
  const store = path.join(dir, 'data', 'samples.db');
  return {
    dir,
    /** Starts the gateway, its output appended to dir/gateway.log (for a failure to show). */
    run: () => {
      const log = openSync(path.join(dir, 'gateway.log'), 'a');
      const child = spawn(process.execPath, [BIN, 'gateway', '--config', config], {
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      return child;
    },
    /** Waits until the store holds every message; else fails saying how many it holds, with the log's end. */
    async allStored(timeoutMs: number) {
      let n = 0;
      try {
        await until(
          async () => {
            n = await this.stored();
            return n === MESSAGES * TAGS;
          },
          timeoutMs,
          'every message stored',
        );
      } catch (error) {
        const log = await readFile(path.join(dir, 'gateway.log'), 'utf8').catch(() => '');
        throw new Error(
          `${(error as Error).message}: ${n} of ${MESSAGES * TAGS} points stored; the gateway's log ends:\n${log.split('\n').slice(-40).join('\n')}`,
        );
      }
    },
    /** Good points of a device in the store. */
    stored: async (device = 'press') => {
      try {
        const reader = new EmbeddedStore('check', store, { readonly: true });
        const summary = await reader.summarize({ from: 0, to: Date.now() + 86_400_000 });
        await reader.close();
        return summary.filter((s) => s.device === device).reduce((n, s) => n + s.counts.good, 0);
      } catch {
        return 0; // not created yet
      }
    },
    verify: async (from: number) => {
      const reader = new EmbeddedStore('check', store, { readonly: true });
      const report = await verifyStore({
        reader,
        publicKey: createPublicKey(await readFile(path.join(dir, 'data', 'identity', 'gateway.pub'))),
        gatewayId: id,
        window: { from, to: Date.now() + 60_000 },
      });
      await reader.close();
      return report;
    },
  };
}

/** Publishes until the gateway's session exists (a probe gets through): from then on the broker keeps its messages. */
async function subscribed(publisher: MqttClient, stored: (device: string) => Promise<number>) {
  let probe = 0;
  await until(
    async () => {
      await publisher.publishAsync('line/probe', String(++probe), { qos: 1 });
      return (await stored('probe')) > 0;
    },
    60_000,
    'the gateway subscribed',
  );
}

/** MESSAGES messages of TAGS values each, 100 ms apart in source time from `base`, a pause each `every`. */
async function publishAll(publisher: MqttClient, base: number, every = 50) {
  for (let i = 0; i < MESSAGES; i++) {
    const payload: Record<string, number> = { t: base + i * 100 };
    for (let k = 0; k < TAGS; k++) payload[`v${k}`] = i * TAGS + k;
    await publisher.publishAsync('line/press', JSON.stringify(payload), { qos: 1 });
    if (i % every === 0) await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!mosquittoBinary.available)('gateway under MQTT QoS 1 load', () => {
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
    const gateway = await plant('gw-kill', broker.url);
    child = gateway.run();
    const publisher = await connectAsync(broker.url, { clientId: 'kill-publisher' });
    await subscribed(publisher, gateway.stored);
    const base = Date.UTC(2026, 0, 7, 8);
    const publishing = publishAll(publisher, base);
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 900));
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      child = gateway.run();
    }
    await publishing;
    await publisher.endAsync();
    await gateway.allStored(90_000);
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    child = undefined;
    expect(await gateway.stored()).toBe(MESSAGES * TAGS);
    const report = await gateway.verify(base - 60_000);
    expect(report.findings).toEqual([]);
    expect(report.clean).toBe(true);
  });

  it(`stores every message once across ${KILLS} broken links, what the broker sent into them included`, {
    timeout: 180_000,
  }, async () => {
    const proxy = await startMqttProxy(Number(new URL(broker.url).port));
    const gateway = await plant('gw-link', proxy.url);
    child = gateway.run();
    const publisher = await connectAsync(broker.url, { clientId: 'link-publisher' });
    try {
      await subscribed(publisher, gateway.stored);
      // Source times long before the gateway's clock, as in a backlog after an outage: the marks the
      // gateway writes when a link drops (at its own time) are newer than every resent message.
      const base = Date.UTC(2026, 0, 7, 8);
      const publishing = publishAll(publisher, base, 10); // over 6 s or more: the links break under traffic
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 400 + Math.random() * 900));
        // The broker's messages go into the link and are lost there: sent, never read, unacknowledged.
        proxy.swallow(true);
        await new Promise((r) => setTimeout(r, 150));
        proxy.cut();
        proxy.swallow(false);
      }
      await publishing;
      expect(proxy.dropped).toBeGreaterThan(0);
      await gateway.allStored(90_000);
      await until(async () => proxy.connections > KILLS, 10_000, 'the gateway reconnected after each cut');
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
      child = undefined;
      expect(await gateway.stored()).toBe(MESSAGES * TAGS);
      const report = await gateway.verify(base - 60_000);
      expect(report.findings).toEqual([]);
      expect(report.clean).toBe(true);
    } finally {
      await publisher.endAsync();
      await proxy.close();
    }
  });
});
