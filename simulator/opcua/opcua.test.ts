/**
 * The OPC UA server read by a node-opcua client session: the machines browse as objects under
 * Objects/Plant and read as the model's values with the simulated time as source timestamp; the
 * secure endpoints exist and an unknown client certificate is rejected, not trusted.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/services/ports.ts';
import { OPCUA_NAMESPACE_URI, type RunningSimulator, startSimulator } from '../index.ts';
import type { OpcuaAddress } from '../plant/types.ts';

const START = '2025-03-17T10:07:30+08:00';

describe('OPC UA server read by a node-opcua client', () => {
  let sim: RunningSimulator;
  let dir: string;
  let client: OPCUAClient;
  let session: ClientSession;
  let ns: number;
  const clientPki = (name: string) =>
    new OPCUACertificateManager({
      rootFolder: path.join(dir, name),
      // The test client trusts the simulator's self-signed server certificate.
      automaticallyAcceptUnknownCertificate: true,
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-sim-opcua-'));
    sim = await startSimulator({
      seed: 42,
      speed: 0,
      start: START,
      opcua: { port: await freePort(), pkiDir: path.join(dir, 'server-pki') },
      modbus: false,
      mqtt: false,
    });
    client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0 },
      clientCertificateManager: clientPki('client-none'),
    });
    await client.connect(sim.opcua!.endpointUrl);
    session = await client.createSession();
    ns = (await session.readNamespaceArray()).indexOf(OPCUA_NAMESPACE_URI);
  });
  afterAll(async () => {
    await session?.close();
    await client?.disconnect();
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('browses the networked machines under Objects/Plant', async () => {
    expect(ns).toBeGreaterThan(0);
    const result = await session.browse({
      nodeId: `ns=${ns};s=Plant`,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: 'Organizes',
      resultMask: 63,
    });
    const names = (result.references ?? []).map((r) => r.browseName.name).sort();
    expect(names).toEqual([
      'Cutter01',
      'Cutter02',
      'IMM01',
      'IMM02',
      'IMM03',
      'Lathe01',
      'Lathe02',
      'Lathe03',
      'Lathe04',
      'Simulation',
      'Welder01',
      'Welder02',
    ]);
    const lathe = await session.browse(`ns=${ns};s=Lathe01`);
    expect((lathe.references ?? []).map((r) => r.browseName.name)).toEqual(
      expect.arrayContaining([
        'State',
        'SpindleSpeed',
        'SpindleTemperature',
        'FeedOverride',
        'PartCounter',
        'ScrapCounter',
        'AlarmCode',
        'AlarmText',
      ]),
    );
  });

  it('reads every variable as the model value at the simulated time, with it as source timestamp', async () => {
    const t = sim.clock.now();
    const tags = sim.plant.devices
      .filter((d) => d.protocol === 'opcua')
      .flatMap((d) => d.tags.map((tag) => ({ device: d.id, tag })));
    const values = await session.read(
      tags.map(({ tag }) => ({
        nodeId: `ns=${ns};${(tag.address as OpcuaAddress).nodeId}`,
        attributeId: AttributeIds.Value,
      })),
    );
    tags.forEach(({ device, tag }, i) => {
      const dv = values[i]!;
      expect(dv.statusCode.isGood(), `${device}.${tag.id}`).toBe(true);
      expect(dv.value.value, `${device}.${tag.id}`).toBe(sim.plant.valueAt(device, tag.id, t));
      expect(dv.sourceTimestamp?.getTime()).toBe(t);
    });
    expect(tags.length).toBeGreaterThan(60);
  });

  it('types the variables: Double, UInt16 counters, and State as the MachineStateEnum data type', async () => {
    const [speed, counter, state, enumType] = await session.read([
      { nodeId: `ns=${ns};s=Lathe01.SpindleSpeed`, attributeId: AttributeIds.DataType },
      { nodeId: `ns=${ns};s=Lathe01.PartCounter`, attributeId: AttributeIds.DataType },
      { nodeId: `ns=${ns};s=Lathe01.State`, attributeId: AttributeIds.DataType },
      { nodeId: `ns=${ns};s=Lathe01.State`, attributeId: AttributeIds.Value },
    ]);
    expect(speed!.value.value.toString()).toBe('ns=0;i=11'); // Double
    expect(counter!.value.value.toString()).toBe('ns=0;i=5'); // UInt16
    const stateType = await session.read({
      nodeId: state!.value.value,
      attributeId: AttributeIds.BrowseName,
    });
    expect(stateType.value.value.name).toBe('MachineStateEnum');
    expect(enumType!.value.value).toBe(3); // running
  });

  it('offers Basic256Sha256 Sign and SignAndEncrypt besides None', async () => {
    const endpoints = await client.getEndpoints();
    const offered = endpoints.map(
      (e) => `${MessageSecurityMode[e.securityMode]} ${e.securityPolicyUri?.split('#')[1]}`,
    );
    expect(offered).toEqual(
      expect.arrayContaining(['None None', 'Sign Basic256Sha256', 'SignAndEncrypt Basic256Sha256']),
    );
  });

  it('rejects an unknown client certificate on a secure endpoint and keeps it for review', async () => {
    const secure = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.SignAndEncrypt,
      securityPolicy: SecurityPolicy.Basic256Sha256,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      clientCertificateManager: clientPki('client-secure'),
    });
    let failed = false;
    try {
      await secure.connect(sim.opcua!.endpointUrl);
      const s = await secure.createSession();
      await s.close();
    } catch {
      failed = true;
    } finally {
      await secure.disconnect();
    }
    expect(failed).toBe(true);
    expect(await readdir(path.join(dir, 'server-pki', 'rejected'))).toHaveLength(1);
  });
});
