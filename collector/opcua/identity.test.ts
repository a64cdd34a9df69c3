// X.509 user authentication, the Aes security policies, and the deprecated SHA-1 policies, against a
// real node-opcua server whose user PKI accepts only the user certificates the test trusts.
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { SecurityPolicy } from 'node-opcua-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorContext } from '../collector.ts';
import { OpcuaCollector } from './opcua-collector.ts';
import { openPki, readCertificateFile } from './pki.ts';
import { opcuaConnectionSchema } from './schema.ts';
import { collectingContext, operatorConnection, secureServer, waitFor } from './test-server.ts';

const secure = secureServer('shugai-opcua-identity-', {
  userPki: true,
  securityPolicies: [
    SecurityPolicy.Basic256Sha256,
    SecurityPolicy.Aes128_Sha256_RsaOaep,
    SecurityPolicy.Aes256_Sha256_RsaPss,
    SecurityPolicy.Basic256,
    SecurityPolicy.Basic128Rsa15,
  ],
});
const clientPki = () => path.join(secure.dir, 'client-pki');

/** A user certificate and key made for the test (self-signed, as a plant's user PKI would issue). */
async function makeUser(name: string): Promise<{ certFile: string; keyFile: string }> {
  const root = path.join(secure.dir, `user-${name}`);
  await mkdir(root, { recursive: true });
  const manager = new OPCUACertificateManager({ rootFolder: root });
  await manager.initialize();
  const certFile = path.join(root, 'cert.pem');
  await manager.createSelfSignedCertificate({
    outputFile: certFile,
    subject: `/CN=${name}/O=shugai-test`,
    applicationUri: `urn:shugai:test:user:${name}`,
    dns: [],
    startDate: new Date(Date.now() - 60_000),
    validity: 30,
  });
  await manager.dispose();
  return { certFile, keyFile: path.join(root, 'own', 'private', 'private_key.pem') };
}

beforeAll(secure.start);
afterAll(secure.stop);

beforeAll(async () => {
  // The client trusts the server certificate up front (security.test.ts covers the trust workflow).
  const pki = await openPki(clientPki());
  await pki.trustCertificate(await secure.server.certificate());
  await pki.dispose();
}, 30_000);

function config(extra: Record<string, unknown> = {}) {
  return operatorConnection(secure.server, {
    id: 'cell-7',
    pkiDir: clientPki(),
    reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    ...extra,
  });
}

async function failedAttempts(context: CollectorContext, atLeast: number): Promise<boolean> {
  const failed = { device: 'press-1', kind: 'connect_failed' };
  return (await context.metrics.count(context.metrics.errors, failed)) >= atLeast;
}

async function readCount(extra: Record<string, unknown>, lines?: string[]) {
  const collector = new OpcuaCollector(config(extra), collectingContext(lines));
  try {
    return (await collector.readOnce()).map((s) => [s.device, s.tag, s.value, s.quality]);
  } finally {
    await collector.stop();
  }
}

describe('X.509 user authentication', () => {
  let alice: { certFile: string; keyFile: string };
  let mallory: { certFile: string; keyFile: string };
  beforeAll(async () => {
    alice = await makeUser('alice');
    mallory = await makeUser('mallory');
    await secure.server.server.userCertificateManager.trustCertificate(readCertificateFile(alice.certFile));
  }, 30_000);

  it('reads with a user certificate the server trusts', async () => {
    expect(await readCount({ auth: { type: 'certificate', ...alice } })).toEqual([
      ['press-1', 'count', -7, 'good'],
    ]);
    await waitFor('session closed', () => secure.server.sessionCount === 0);
  });

  it('subscribes with it too (the running collector, not only a one-shot read)', async () => {
    const context = collectingContext();
    const collector = new OpcuaCollector(config({ auth: { type: 'certificate', ...alice } }), context);
    await collector.start();
    try {
      await waitFor('first sample', () => context.samples.length > 0);
      secure.server.set('Count', 41);
      await waitFor('change', () => context.samples.some((s) => s.value === 41));
    } finally {
      await collector.stop();
      secure.server.set('Count', -7);
    }
  });

  it('refuses an untrusted user certificate with a clear error, and logs it once naming the device', async () => {
    const error = await readCount({ auth: { type: 'certificate', ...mallory } }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `session on ${secure.server.endpointUrl} refused: BadIdentityTokenRejected (0x80210000)`,
    );
    const lines: string[] = [];
    const context = collectingContext(lines);
    const collector = new OpcuaCollector(config({ auth: { type: 'certificate', ...mallory } }), context);
    await collector.start();
    // Several attempts (backoff 50–100 ms), one warning line for the condition.
    await waitFor('three refused attempts', () => failedAttempts(context, 3));
    await collector.stop();
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.condition === 'connect_auth');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ device: 'press-1', level: 40 });
    expect(warnings[0].msg).toMatch(/BadIdentityTokenRejected/);
  });

  it('refuses a certificate whose key does not match it (no proof of possession)', async () => {
    const error = await readCount({
      auth: { type: 'certificate', certFile: alice.certFile, keyFile: mallory.keyFile },
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `session on ${secure.server.endpointUrl} refused: BadUserSignatureInvalid (0x80570000)`,
    );
  });

  it('names an unreadable certificate file, before contacting the server', async () => {
    const missing = path.join(secure.dir, 'nope.pem');
    const error = await readCount({
      auth: { type: 'certificate', certFile: missing, keyFile: alice.keyFile },
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `cannot read the user certificate or key for ${secure.server.endpointUrl}: ` +
        `ENOENT: no such file or directory, open '${missing}'`,
    );
  });
});

describe('security policies', () => {
  for (const policy of ['Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const) {
    it(`reads over SignAndEncrypt/${policy}`, async () => {
      expect(await readCount({ securityMode: 'SignAndEncrypt', securityPolicy: policy })).toEqual([
        ['press-1', 'count', -7, 'good'],
      ]);
    });
  }

  it('accepts the deprecated policies in the schema and warns once per collector, naming the connection', async () => {
    for (const policy of ['Basic256', 'Basic128Rsa15']) {
      const result = opcuaConnectionSchema.safeParse({ ...config(), securityPolicy: policy });
      expect(result.success).toBe(true);
    }
    const lines: string[] = [];
    // Basic256 (RSA-OAEP with SHA-1) still works on Node 20: data flows, with the warning.
    expect(await readCount({ securityPolicy: 'Basic256' }, lines)).toEqual([
      ['press-1', 'count', -7, 'good'],
    ]);
    const warnings = () =>
      lines.map((l) => JSON.parse(l)).filter((l) => /deprecated OPC UA security policy/.test(l.msg));
    expect(warnings()).toEqual([
      expect.objectContaining({ level: 40, connection: 'cell-7', securityPolicy: 'Basic256' }),
    ]);
    // A running collector that fails and reconnects again and again still warns only once.
    const context = collectingContext(lines);
    const collector = new OpcuaCollector(
      config({ securityPolicy: 'Basic256', auth: { type: 'username', username: 'operator', password: 'x' } }),
      context,
    );
    await collector.start();
    await waitFor('three failed attempts', () => failedAttempts(context, 3));
    await collector.stop();
    expect(warnings()).toHaveLength(2);
  });

  it('Basic128Rsa15 cannot connect on Node 20 (RSA PKCS#1 v1.5 decryption is disabled)', async () => {
    // The node-opcua server, on Node 20 as well, cannot decrypt the client's OpenSecureChannel
    // request (RSA_PKCS1_PADDING is no longer supported for private decryption, CVE-2023-46809)
    // and drops the socket; the client reports the dropped connection.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const padding = constants.RSA_PKCS1_PADDING;
    const secret = publicEncrypt({ key: publicKey, padding }, Buffer.from('nonce'));
    expect(() => privateDecrypt({ key: privateKey, padding }, secret)).toThrow(
      'RSA_PKCS1_PADDING is no longer supported for private decryption',
    );
    const error = await readCount({ securityPolicy: 'Basic128Rsa15' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot connect to ${secure.server.endpointUrl}: The connection may have been rejected by server,\\n` +
          ' Err = \\(ClientTCP_transport\\d+: socket has been disconnected by third party\\)$',
      ),
    );
  });
});
