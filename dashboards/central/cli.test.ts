// `shugai central register` and `shugai central serve` as an operator runs them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../gateway/attest/identity.ts';
import { freePort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { parseListen } from './cli.ts';
import { testGateway } from './testing.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const env = { ...process.env, SHUGAI_CENTRAL_READ_TOKEN: undefined };
const shugai = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env });

describe('shugai central', () => {
  let dir: string;
  const gw = testGateway('yk-cups-gw01');
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shugai-central-cli-'));
    writeFileSync(path.join(dir, 'gateway.pub'), gw.publicKeyPem);
    writeFileSync(path.join(dir, 'gateway.key'), gw.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(dir, 'token'), 'cli-test-token-0123456789\n');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers a key and prints its fingerprint; again changes nothing; a private key is refused', () => {
    const db = path.join(dir, 'central.db');
    const args = [
      'central',
      'register',
      '--db',
      db,
      '--gateway',
      gw.id,
      '--pubkey',
      path.join(dir, 'gateway.pub'),
    ];
    const first = shugai(...args, '--enterprise', '永康杯业');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`gateway yk-cups-gw01: registered\nfingerprint ${fingerprint(gw.publicKey)}\n`);
    expect(shugai(...args).stdout).toBe(
      `gateway yk-cups-gw01: already registered with this key (not changed)\nfingerprint ${fingerprint(gw.publicKey)}\n`,
    );
    const wrong = shugai(
      'central',
      'register',
      '--db',
      db,
      '--gateway',
      'gw-2',
      '--pubkey',
      path.join(dir, 'gateway.key'),
    );
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('this is a private key; register the public key (gateway.pub)');
  });

  it('refuses to serve without a read token', () => {
    const result = shugai('central', 'serve', '--db', path.join(dir, 'c2.db'), '--listen', '127.0.0.1:0');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'no read token: give --read-token-file FILE or SHUGAI_CENTRAL_READ_TOKEN, or --reads-disabled to serve writes only',
    );
  });

  it('serves with the token from a file, and stops on SIGTERM', async () => {
    const port = await freePort();
    const proc = new ServiceProcess(
      'central',
      process.execPath,
      [
        BIN,
        'central',
        'serve',
        '--db',
        path.join(dir, 'central.db'),
        '--listen',
        `127.0.0.1:${port}`,
        '--read-token-file',
        path.join(dir, 'token'),
      ],
      { env: { ...env, SHUGAI_LOG_LEVEL: 'info' } as NodeJS.ProcessEnv },
    );
    try {
      await proc.waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
      const url = `http://127.0.0.1:${port}/api/v1/gateways/${gw.id}/key`;
      expect((await fetch(url)).status).toBe(401);
      const key = await fetch(url, { headers: { authorization: 'Bearer cli-test-token-0123456789' } });
      expect(await key.text()).toBe(gw.publicKeyPem);
    } finally {
      await proc.stop();
    }
    expect(proc.log).toContain('central service stopped');
    expect(proc.log).not.toContain('cli-test-token-0123456789');
  });

  it.each([
    ['127.0.0.1:8787', { host: '127.0.0.1', port: 8787 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['0.0.0.0:443', { host: '0.0.0.0', port: 443 }],
  ])('reads --listen %s', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });

  it.each(['8787', '127.0.0.1', '127.0.0.1:99999', '::1:80'])('refuses --listen %s', (text) => {
    expect(() => parseListen(text)).toThrow(`--listen ${text}: expected HOST:PORT`);
  });
});
