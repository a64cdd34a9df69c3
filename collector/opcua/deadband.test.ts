// Percent deadband against a real node-opcua server: the server evaluates it against the node's
// EURange, which only AnalogItemType variables carry (node-opcua refuses it on other variables).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataType, type Namespace, Variant } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/services/ports.ts';
import { OpcuaCollector } from './opcua-collector.ts';
import { opcuaConnectionSchema } from './schema.ts';
import { collectingContext, PLANT_NS, TestServer, waitFor } from './test-server.ts';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-opcua-deadband-'));
  server = await TestServer.start({ port: await freePort(), pkiDir: path.join(dir, 'server-pki') });
  const addressSpace = server.server.engine.addressSpace;
  // getNamespace is typed as the base INamespace; the instance is the full Namespace (data access).
  const namespace = addressSpace?.getNamespace(PLANT_NS) as Namespace | undefined;
  const line = addressSpace?.findNode(`ns=${namespace?.index};s=Line1`);
  if (!namespace || !line) throw new Error('test server has no plant namespace');
  // Hydraulic pressure 0–200 bar: 5 % of the EURange is 10 bar.
  const pressure = namespace.addAnalogDataItem({
    componentOf: line,
    browseName: 'Pressure',
    nodeId: 's=Pressure',
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 200 },
    minimumSamplingInterval: 50,
    value: new Variant({ dataType: DataType.Double, value: 100 }),
  });
  server.variables.set('Pressure', pressure);
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(tags: Record<string, unknown>[]) {
  return opcuaConnectionSchema.parse({
    id: 'hydraulics',
    protocol: 'opcua',
    endpoint: server.endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: path.join(dir, 'client-pki'),
    reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
    groups: [{ id: 'fast', intervalMs: 50, samplingIntervalMs: 50 }],
    devices: [{ id: 'press-2', production: true, businessLinks: ['生产管控'], tags }],
  });
}

describe('percent deadband', () => {
  it('drops changes below the percent of the EURange and delivers those above', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(
      config([
        {
          id: 'pressure',
          type: 'number',
          unit: 'bar',
          nodeId: `nsu=${PLANT_NS};s=Pressure`,
          deadband: { type: 'percent', value: 5 },
        },
      ]),
      context,
    );
    await collector.start();
    const values = () => context.samples.map((s) => s.value);
    // A change that passes is awaited; one that must not pass gets several sampling intervals to show up.
    const step = async (value: number, delivered: boolean) => {
      server.set('Pressure', value);
      if (delivered) await waitFor(`${value} delivered`, () => values().includes(value));
      else await new Promise((r) => setTimeout(r, 300));
    };
    try {
      await waitFor('initial value', () => values().length === 1);
      await step(105, false); // 5 bar from 100: below 10
      await step(109.5, false); // 9.5 bar from 100
      await step(112, true); // 12 bar from 100
      await step(115, false); // 3 bar from 112
      await step(90, true); // 22 bar from 112
      await step(99, false); // 9 bar from 90
      expect(values()).toEqual([100, 112, 90]);
      expect(context.samples.every((s) => s.quality === 'good' && s.tag === 'pressure')).toBe(true);
    } finally {
      await collector.stop();
      server.set('Pressure', 100);
    }
  });

  it('on a variable without EURange the server refuses the item: counted and logged with the tag', async () => {
    const lines: string[] = [];
    const context = collectingContext(lines);
    const collector = new OpcuaCollector(
      config([
        {
          id: 'temperature',
          type: 'number',
          nodeId: `nsu=${PLANT_NS};s=Temperature`,
          deadband: { type: 'percent', value: 5 },
        },
        // The same connection's other items are not affected.
        { id: 'pressure', type: 'number', nodeId: `nsu=${PLANT_NS};s=Pressure` },
      ]),
      context,
    );
    await collector.start();
    try {
      await waitFor('pressure sample', () => context.samples.find((s) => s.tag === 'pressure'));
      await waitFor('refusal logged', () => lines.some((l) => l.includes('monitored item refused')));
      const refusal = lines.map((l) => JSON.parse(l)).find((l) => l.condition === 'subscription_failed');
      expect(refusal).toMatchObject({
        device: 'press-2',
        tag: 'temperature',
        nodeId: `nsu=${PLANT_NS};s=Temperature`,
        msg: 'monitored item refused: BadMonitoredItemFilterUnsupported',
      });
      const failed = { device: 'press-2', kind: 'subscription_failed' };
      expect(await context.metrics.count(context.metrics.errors, failed)).toBe(1);
      expect(context.samples.some((s) => s.tag === 'temperature')).toBe(false);
    } finally {
      await collector.stop();
    }
  });
});
