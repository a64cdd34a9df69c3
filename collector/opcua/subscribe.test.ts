import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StatusCodes } from 'node-opcua-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/services/ports.ts';
import { OpcuaCollector } from './opcua-collector.ts';
import { opcuaConnectionSchema } from './schema.ts';
import { collectingContext, connectedGauge, PLANT_NS, TestServer, waitFor } from './test-server.ts';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-opcua-sub-'));
  server = await TestServer.start({
    port: await freePort(),
    pkiDir: path.join(dir, 'server-pki'),
    maxMonitoredItemsPerCall: 10,
    bulk: 25,
  });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const node = (id: string) => `nsu=${PLANT_NS};s=${id}`;

function config(devices: unknown[], extra: Record<string, unknown> = {}) {
  return opcuaConnectionSchema.parse({
    id: 'plc1',
    protocol: 'opcua',
    endpoint: server.endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: path.join(dir, 'client-pki'),
    groups: [
      { id: 'fast', mode: 'subscribe', intervalMs: 100 },
      { id: 'poll', mode: 'read', intervalMs: 200 },
    ],
    devices,
    ...extra,
  });
}

const lathe = {
  id: 'lathe-01',
  production: true,
  businessLinks: ['生产管控'],
  tags: [
    { id: 'temperature', type: 'number', nodeId: node('Temperature'), samplingIntervalMs: 50 },
    { id: 'speed', type: 'number', nodeId: node('Speed') },
    { id: 'count', type: 'integer', nodeId: node('Count') },
    { id: 'big', type: 'integer', nodeId: node('Big') },
    { id: 'signed64', type: 'integer', nodeId: node('Signed64') },
    { id: 'running', type: 'boolean', nodeId: node('Running') },
    { id: 'name', type: 'string', nodeId: node('Name') },
    { id: 'label', type: 'string', nodeId: node('Label') },
    { id: 'when', type: 'integer', nodeId: node('When') },
    { id: 'when_iso', type: 'string', nodeId: node('When'), group: 'poll' },
    { id: 'numeric', type: 'number', nodeId: { namespaceUri: PLANT_NS, id: 1001 } },
    { id: 'vector', type: 'number', nodeId: node('Vector') },
    { id: 'broken', type: 'number', nodeId: node('Broken') },
    { id: 'counter_gw', type: 'integer', nodeId: node('Counter'), timestamp: 'gateway' },
  ],
};

describe('OPC UA subscriptions against a node-opcua server', () => {
  it('delivers initial values of every type with exact values, qualities and status codes', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config([lathe]), context);
    await collector.start();
    try {
      const latest = (tag: string) => context.samples.findLast((s) => s.tag === tag);
      await waitFor('initial values', () =>
        ['broken', 'when_iso', 'counter_gw', 'numeric'].every((t) => latest(t)),
      );
      expect(latest('temperature')).toMatchObject({
        device: 'lathe-01',
        value: 21.5,
        quality: 'good',
        statusCode: 0,
      });
      expect(latest('speed')?.value).toBe(1.5);
      expect(latest('count')?.value).toBe(-7);
      // 2^53 + 1 cannot be a JS number: kept exact as a decimal string.
      expect(latest('big')?.value).toBe('9007199254740993');
      expect(latest('signed64')?.value).toBe(-2);
      expect(latest('running')?.value).toBe(true);
      expect(latest('name')?.value).toBe('lathe');
      expect(latest('label')?.value).toBe('Drehbank');
      expect(latest('when')?.value).toBe(Date.parse('2024-05-01T08:00:00.000Z'));
      expect(latest('when_iso')?.value).toBe('2024-05-01T08:00:00.000Z');
      expect(latest('numeric')?.value).toBe(3.25);
      expect(latest('broken')).toMatchObject({
        value: 0,
        quality: 'bad',
        statusCode: StatusCodes.BadSensorFailure.value,
      });
      expect(latest('vector')).toBeUndefined();
      const counter = latest('counter_gw');
      expect(counter?.sourceTime).toBe(counter?.receivedAt);
      const metrics = context.metrics;
      expect(await metrics.count(metrics.errors, { device: 'lathe-01', kind: 'unsupported_value' })).toBe(1);
      expect(
        await metrics.count(metrics.errors, { device: 'lathe-01', kind: 'bad_status' }),
      ).toBeGreaterThanOrEqual(1);
      expect(await connectedGauge(context, 'lathe-01')).toBe(1);
    } finally {
      await collector.stop();
    }
    await waitFor('no session left', () => server.sessionCount === 0);
    expect(await connectedGauge(context, 'lathe-01')).toBe(0);
  });

  it('pushes changes with source times, drops exact duplicates, falls back on a zero source time', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config([lathe]), context);
    await collector.start();
    const ofTag = (tag: string) => context.samples.filter((s) => s.tag === tag);
    try {
      await waitFor('initial value', () => ofTag('temperature').length === 1);
      const t1 = new Date('2025-03-01T10:00:00.123Z');
      server.set('Temperature', 22.75, StatusCodes.Good, t1);
      await waitFor('change', () => ofTag('temperature').length === 2);
      expect(ofTag('temperature')[1]).toMatchObject({
        value: 22.75,
        quality: 'good',
        sourceTime: t1.getTime(),
      });
      // Same value, new source time: absolute deadband 0 drops it; the next real change arrives.
      server.set('Temperature', 22.75, StatusCodes.Good, new Date('2025-03-01T10:00:01Z'));
      await new Promise((r) => setTimeout(r, 400));
      const t3 = new Date('2025-03-01T10:00:02Z');
      server.set('Temperature', 23, StatusCodes.Uncertain, t3);
      await waitFor('uncertain change', () => ofTag('temperature').length === 3);
      expect(ofTag('temperature')[2]).toMatchObject({
        value: 23,
        quality: 'uncertain',
        statusCode: StatusCodes.Uncertain.value,
        sourceTime: t3.getTime(),
      });
      // A zero source time (OPC UA's minimum, 1601-01-01, encoded as 0): the server time is used instead.
      const before = Date.now();
      server.set('Temperature', 24, StatusCodes.Good, new Date('1601-01-01T00:00:00Z'));
      const noSource = await waitFor('zero source time', () => ofTag('temperature')[3]);
      expect(noSource.value).toBe(24);
      expect(noSource.sourceTime).toBeGreaterThanOrEqual(before - 5);
      expect(noSource.sourceTime).toBeLessThanOrEqual(noSource.receivedAt);
      expect(noSource.sourceTime).not.toBe(t3.getTime());
    } finally {
      await collector.stop();
    }
  });

  it('creates more monitored items than the server accepts per call, in batches', async () => {
    const context = collectingContext();
    const tags = Array.from({ length: 25 }, (_, i) => ({
      id: `b${i}`,
      type: 'number',
      nodeId: node(`Bulk.${i}`),
    }));
    const collector = new OpcuaCollector(
      config([{ id: 'bulk', production: false, businessLinks: ['设备管理'], tags }]),
      context,
    );
    await collector.start();
    try {
      await waitFor('25 items', () => new Set(context.samples.map((s) => s.tag)).size === 25);
      const values = Object.fromEntries(context.samples.map((s) => [s.tag, s.value]));
      for (let i = 0; i < 25; i++) expect(values[`b${i}`]).toBe(i);
      const metrics = context.metrics;
      expect(await metrics.count(metrics.errors, { device: 'bulk', kind: 'subscription_failed' })).toBe(0);
    } finally {
      await collector.stop();
    }
  });

  it('reads every tag once without a running subscription, and closes its session', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config([lathe]), context);
    const samples = await collector.readOnce({ deviceId: 'lathe-01' });
    const byTag = Object.fromEntries(samples.map((s) => [s.tag, s]));
    expect(byTag.count?.value).toBe(-7);
    expect(byTag.broken?.quality).toBe('bad');
    expect(byTag.vector).toBeUndefined();
    expect(samples).toHaveLength(lathe.tags.length - 1);
    await collector.stop();
    expect(server.sessionCount).toBe(0);
    await expect(collector.readOnce({ deviceId: 'nope' })).rejects.toThrow('has no device "nope"');
  });

  it('keeps a relative PKI folder next to the config file, wherever the gateway was started from', async () => {
    const configDir = path.join(dir, 'etc-shugai');
    const context = { ...collectingContext(), baseDir: configDir };
    const collector = new OpcuaCollector(config([lathe], { pkiDir: './pki' }), context);
    expect((await collector.readOnce({ deviceId: 'lathe-01' })).find((s) => s.tag === 'count')?.value).toBe(
      -7,
    );
    await collector.stop();
    expect(existsSync(path.join(configDir, 'pki', 'own', 'certs'))).toBe(true);
    expect(existsSync(path.join(process.cwd(), 'pki'))).toBe(false);
  });
});
