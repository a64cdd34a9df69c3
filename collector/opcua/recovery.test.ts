import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/services/ports.ts';
import { OpcuaCollector } from './opcua-collector.ts';
import { opcuaConnectionSchema } from './schema.ts';
import { collectingContext, connectedGauge, PLANT_NS, TestServer, waitFor } from './test-server.ts';

let dir: string;
let port: number;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-opcua-rec-'));
  port = await freePort();
  server = await TestServer.start({ port, pkiDir: path.join(dir, 'server-pki') });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(watchdog = { keepAliveCount: 5, missedKeepAlives: 3 }) {
  return opcuaConnectionSchema.parse({
    id: 'plc-rec',
    protocol: 'opcua',
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: path.join(dir, 'client-pki'),
    reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    watchdog,
    groups: [{ id: 'fast', intervalMs: 100, queueSize: 50 }],
    devices: [
      {
        id: 'oven-1',
        production: true,
        businessLinks: ['生产管控'],
        tags: [
          { id: 'counter', type: 'integer', nodeId: `nsu=${PLANT_NS};s=Counter`, samplingIntervalMs: 50 },
        ],
      },
    ],
  });
}

const counterValues = (context: ReturnType<typeof collectingContext>) =>
  context.samples.filter((s) => s.tag === 'counter').map((s) => s.value);

/** Changes the counter slower than the server samples it (50 ms), so every change is a notification. */
async function changeCounter(from: number, to: number) {
  for (let v = from; v <= to; v++) {
    server.set('Counter', v);
    await new Promise((r) => setTimeout(r, 120));
  }
}

describe('OPC UA recovery', () => {
  it('survives a server restart that moves the namespace index, losing no change made after it', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config(), context);
    await collector.start();
    try {
      await waitFor('initial value', () => counterValues(context).includes(0));
      await changeCounter(1, 3);
      await waitFor('changes before restart', () => counterValues(context).includes(3));
      expect(server.server.engine.addressSpace?.getNamespaceIndex(PLANT_NS)).toBe(2);

      await server.stop();
      server = await TestServer.start({
        port,
        pkiDir: path.join(dir, 'server-pki'),
        otherNamespaceFirst: true,
      });
      expect(server.server.engine.addressSpace?.getNamespaceIndex(PLANT_NS)).toBe(3);
      await waitFor('reconnected', () => collector.reconnects >= 1 && server.sessionCount === 1, 15_000);
      const metrics = context.metrics;
      await waitFor('subscribed again', async () => (await connectedGauge(context, 'oven-1')) === 1);
      // The initial value after re-subscription shows the item was created on the moved namespace.
      const seen = counterValues(context).length;
      await waitFor('initial value after restart', () =>
        counterValues(context)
          .slice(seen - 1)
          .includes(0),
      );
      const before = counterValues(context).length;
      await changeCounter(1, 12);
      await waitFor('all 12 changes', () => counterValues(context).slice(before).includes(12));
      expect(counterValues(context).slice(before)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await metrics.count(metrics.errors, { device: 'oven-1', kind: 'reconnect' })).toBe(
        collector.reconnects,
      );
      expect(
        await metrics.count(metrics.errors, { device: 'oven-1', kind: 'disconnected' }),
      ).toBeGreaterThanOrEqual(1);
      expect(await metrics.count(metrics.errors, { device: 'oven-1', kind: 'bad_node' })).toBe(0);
    } finally {
      await collector.stop();
    }
    expect(server.sessionCount).toBe(0);
  });

  it('detects a silent subscription with the watchdog and rebuilds the session', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config({ keepAliveCount: 2, missedKeepAlives: 2 }), context);
    await collector.start();
    try {
      await waitFor('subscribed', () => server.sessionCount === 1 && counterValues(context).length > 0);
      expect(server.silenceSubscriptions()).toBe(1);
      const metrics = context.metrics;
      await waitFor(
        'watchdog fired',
        async () => (await metrics.count(metrics.errors, { device: 'oven-1', kind: 'watchdog' })) >= 1,
        10_000,
      );
      await waitFor('reconnected', () => collector.reconnects >= 1, 10_000);
      const before = counterValues(context).length;
      await changeCounter(100, 102);
      await waitFor('data after rebuild', () => counterValues(context).slice(before).includes(102));
    } finally {
      await collector.stop();
    }
    expect(server.sessionCount).toBe(0);
  });
});
