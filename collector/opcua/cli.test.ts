import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../test/services/ports.ts';
import { registerOpcuaCommands } from './cli.ts';
import { fingerprint, listCertificates } from './pki.ts';
import { opcuaConnectionSchema } from './schema.ts';
import { PLANT_NS, TestServer } from './test-server.ts';

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-opcua-cli-'));
  server = await TestServer.start({ port: await freePort(), pkiDir: path.join(dir, 'server-pki') });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `shugai <args>` in-process and returns what it printed on stdout. */
async function shugai(...args: string[]): Promise<string> {
  const program = new Command('shugai').exitOverride();
  registerOpcuaCommands(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['node', 'shugai', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

const pki = () => path.join(dir, 'pki');
const insecure = () => ['--security-mode', 'None', '--security-policy', 'None', '--pki', pki()];

describe('shugai browse', () => {
  it('prints the tree with nsu= node ids and data types, without the Server object', async () => {
    const tree = await shugai('browse', server.endpointUrl, '--depth', '2', ...insecure());
    expect(tree).toContain('Line1  nsu=urn:shugai:test:plant;s=Line1');
    expect(tree).toContain(`  Temperature  nsu=${PLANT_NS};s=Temperature  Double`);
    expect(tree).toContain(`  Numeric  nsu=${PLANT_NS};i=1001  Double`);
    expect(tree).toContain(`  Vector  nsu=${PLANT_NS};s=Vector  Double[]`);
    expect(tree).not.toContain('ServerStatus');
  });

  it('emits a devices/tags snippet that is valid connection config', async () => {
    const yaml = await shugai('browse', server.endpointUrl, '--format', 'yaml', ...insecure());
    expect(yaml).toContain('#   Line1: Vector (Double[])');
    const snippet = parse(yaml) as {
      devices: { id: string; tags: { id: string; type: string; nodeId: string }[] }[];
    };
    const line = snippet.devices.find((d) => d.id === 'Line1');
    expect(line?.tags).toContainEqual({
      id: 'Temperature',
      type: 'number',
      nodeId: `nsu=${PLANT_NS};s=Temperature`,
    });
    expect(line?.tags).toContainEqual({ id: 'Big', type: 'integer', nodeId: `nsu=${PLANT_NS};s=Big` });
    expect(line?.tags).toContainEqual({ id: 'Label', type: 'string', nodeId: `nsu=${PLANT_NS};s=Label` });
    const config = opcuaConnectionSchema.safeParse({
      id: 'from-browse',
      protocol: 'opcua',
      endpoint: server.endpointUrl,
      ...snippet,
    });
    expect(config.success).toBe(true);
  });

  it('fails clearly when the password is not in the environment', async () => {
    await expect(shugai('browse', server.endpointUrl, '--user', 'op', ...insecure())).rejects.toThrow(
      'SHUGAI_OPCUA_PASSWORD',
    );
  });
});

describe('shugai pki', () => {
  it('lists a rejected certificate, trusts it by fingerprint, rejects it again', async () => {
    const secure = [
      '--security-mode',
      'SignAndEncrypt',
      '--security-policy',
      'Basic256Sha256',
      '--pki',
      pki(),
    ];
    const secureServer = await TestServer.start({
      port: await freePort(),
      pkiDir: path.join(dir, 'server-pki'),
      securityModes: [MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.Basic256Sha256],
    });
    try {
      await expect(shugai('browse', secureServer.endpointUrl, ...secure)).rejects.toThrow('is not trusted');
      const sha256 = fingerprint(await secureServer.certificate());
      const listed = await shugai('pki', 'list', '--pki', pki());
      expect(listed).toContain(`rejected ${sha256}`);
      expect(listed).toContain('CN=');
      expect(await shugai('pki', 'trust', sha256.slice(0, 20), '--pki', pki())).toBe(`trusted ${sha256}\n`);
      expect(listCertificates(pki()).map((c) => c.status)).toEqual(['trusted']);
      expect(await shugai('browse', secureServer.endpointUrl, '--depth', '1', ...secure)).toContain('Line1');
      expect(await shugai('pki', 'reject', sha256, '--pki', pki())).toBe(`rejected ${sha256}\n`);
      await expect(shugai('pki', 'trust', 'sha256:00', '--pki', pki())).rejects.toThrow(
        'no certificate sha256:00',
      );
    } finally {
      await secureServer.stop();
    }
  });
});
