// The operator's commands as run from a shell, on SQLite and on a real PostgreSQL: accounts added,
// listed (never with a password) and disabled; the audit chain verified, and a row changed behind
// the service's back found by number; a gateway's key registered into an enterprise's file; `serve`
// refusing a newer schema, serving with a token file and stopping on SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../gateway/attest/identity.ts';
import { freePort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { testGateway } from '../central/testing.ts';
import { operator } from './accounts/roles.ts';
import { parseListen } from './cli.ts';
import { openDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { MIGRATIONS } from './db/migrations/index.ts';
import { createEnterprise } from './enterprises/repository.ts';
import { BIN, baseEnv, ENTERPRISES, eachDatabase, runShugai as shugai } from './testing.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shugai-platform-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

eachDatabase((database) => {
  it('adds, lists and disables accounts; verifies the audit chain and names a tampered entry', {
    timeout: 120_000,
  }, async () => {
    const db = await database.target();
    const add = await shugai(
      [
        'accounts',
        'add',
        '--db',
        db,
        '--name',
        'officer-yk',
        '--role',
        'officer',
        '--region',
        '330784',
        '--display-name',
        '永康市经信局',
      ],
      {
        SHUGAI_ACCOUNT_PASSWORD: 'a long enough password',
      },
    );
    expect(add.stderr).toBe('');
    expect(JSON.parse(add.stdout)).toMatchObject({
      name: 'officer-yk',
      role: 'officer',
      region: '330784',
      displayName: '永康市经信局',
      disabled: false,
    });
    const noPassword = await shugai(['accounts', 'add', '--db', db, '--name', 'x-1', '--role', 'admin']);
    expect(noPassword.status).toBe(2);
    expect(noPassword.stderr).toContain(
      'give the password with --password-file FILE or SHUGAI_ACCOUNT_PASSWORD',
    );
    const badRegion = await shugai(
      ['accounts', 'add', '--db', db, '--name', 'x-2', '--role', 'officer', '--region', '3307841'],
      {
        SHUGAI_ACCOUNT_PASSWORD: 'a long enough password',
      },
    );
    expect(badRegion.status).toBe(2);
    expect(badRegion.stderr).toContain('region "3307841": 2, 4 or 6 digits of a GB/T 2260 code');
    const disabled = await shugai(['accounts', 'disable', '--db', db, '--name', 'officer-yk']);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ name: 'officer-yk', disabled: true });
    const list = await shugai(['accounts', 'list', '--db', db]);
    expect(
      JSON.parse(list.stdout).map((a: { name: string; disabled: boolean }) => [a.name, a.disabled]),
    ).toEqual([['officer-yk', true]]);
    expect(list.stdout).not.toContain('scrypt');

    const valid = await shugai(['audit', 'verify', '--db', db]);
    expect([valid.status, valid.stdout]).toEqual([0, 'audit chain valid: 2 entries\n']);
    const platform = openDatabase(db);
    try {
      const entry = await platform.db
        .selectFrom('audit_log')
        .select(['actor', 'action'])
        .where('seq', '=', 1)
        .executeTakeFirstOrThrow();
      expect(entry.action).toBe('account.create');
      expect(entry.actor).toMatch(/^cli:/);
      // Someone with database access hides who created the account.
      await platform.db.updateTable('audit_log').set({ actor: 'cli:nobody' }).where('seq', '=', 1).execute();
    } finally {
      await platform.close();
    }
    const broken = await shugai(['audit', 'verify', '--db', db]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(
      /^audit chain broken at entry 1: its content hashes to [0-9a-f]{64}, the entry says [0-9a-f]{64}: it was changed after it was written\n$/,
    );
  });

  it('registers a gateway key into an enterprise file (again: no change; a private key: refused), and adds its account', {
    timeout: 120_000,
  }, async () => {
    const db = await database.target();
    const platform = openDatabase(db);
    try {
      await migrate(platform);
      await createEnterprise(platform.db, operator('test'), ENTERPRISES.yongkang);
    } finally {
      await platform.close();
    }
    const gw = testGateway('yk-cups-gw01');
    writeFileSync(path.join(dir, 'gateway.pub'), gw.publicKeyPem);
    writeFileSync(path.join(dir, 'gateway.key'), gw.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const args = [
      'central',
      'register',
      '--db',
      db,
      '--enterprise',
      ENTERPRISES.yongkang.uscc,
      '--gateway',
      gw.id,
    ];
    const first = await shugai([...args, '--pubkey', path.join(dir, 'gateway.pub')]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`gateway yk-cups-gw01: registered\nfingerprint ${fingerprint(gw.publicKey)}\n`);
    expect((await shugai([...args, '--pubkey', path.join(dir, 'gateway.pub')])).stdout).toBe(
      `gateway yk-cups-gw01: already registered with this key (not changed)\nfingerprint ${fingerprint(gw.publicKey)}\n`,
    );
    const wrong = await shugai([...args, '--pubkey', path.join(dir, 'gateway.key')]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('this is a private key; register the public key (gateway.pub)');
    const nobody = await shugai([
      'central',
      'register',
      '--db',
      db,
      '--enterprise',
      ENTERPRISES.hebi.uscc,
      '--gateway',
      'gw-x',
      '--pubkey',
      path.join(dir, 'gateway.pub'),
    ]);
    expect(nobody.status).toBe(2);
    expect(nobody.stderr).toContain(
      `--enterprise ${ENTERPRISES.hebi.uscc}: no enterprise with this code is on file`,
    );
    // An enterprise account names its enterprise by the same code.
    const account = await shugai(
      [
        'accounts',
        'add',
        '--db',
        db,
        '--name',
        'ent-yk',
        '--role',
        'enterprise',
        '--enterprise',
        ENTERPRISES.yongkang.uscc,
      ],
      { SHUGAI_ACCOUNT_PASSWORD: 'a long enough password' },
    );
    expect(account.stderr).toBe('');
    expect(JSON.parse(account.stdout)).toMatchObject({
      name: 'ent-yk',
      role: 'enterprise',
      enterpriseId: expect.stringMatching(/^ent_/),
    });
  });

  it('refuses to serve a database written by a newer shugai', { timeout: 60_000 }, async () => {
    const db = await database.target();
    const platform = openDatabase(db);
    try {
      await migrate(platform, { ...MIGRATIONS, '0099-future': { up: async () => {} } });
    } finally {
      await platform.close();
    }
    const result = await shugai(['serve', '--db', db, '--listen', '127.0.0.1:0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'has schema migration 0099-future, which this shugai does not know: it was written by a newer shugai',
    );
  });
});

describe('shugai serve', () => {
  it('serves with the read token from a file, never logs it, and stops on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    writeFileSync(path.join(dir, 'token'), 'cli-test-token-0123456789\n');
    const proc = new ServiceProcess(
      'serve',
      process.execPath,
      [
        BIN,
        'serve',
        '--db',
        path.join(dir, 'serve.db'),
        '--listen',
        `127.0.0.1:${port}`,
        '--read-token-file',
        path.join(dir, 'token'),
      ],
      { env: { ...baseEnv, SHUGAI_LOG_LEVEL: 'info' } as NodeJS.ProcessEnv },
    );
    try {
      await proc.waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 30_000);
      const url = `http://127.0.0.1:${port}/api/v1/gateways/gw-1/key`;
      expect((await fetch(url)).status).toBe(401);
      const unknown = await fetch(url, { headers: { authorization: 'Bearer cli-test-token-0123456789' } });
      expect(await unknown.json()).toEqual({
        error: 'gateway gw-1 is not registered',
        code: 'UNKNOWN_GATEWAY',
      });
      const docs = await fetch(`http://127.0.0.1:${port}/docs/json`);
      expect(((await docs.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    } finally {
      await proc.stop();
    }
    expect(proc.log).toContain('platform stopped');
    expect(proc.log).not.toContain('cli-test-token-0123456789');
  });

  it('refuses a short read token', async () => {
    writeFileSync(path.join(dir, 'short'), 'short\n');
    const result = await shugai([
      'serve',
      '--db',
      path.join(dir, 's.db'),
      '--listen',
      '127.0.0.1:0',
      '--read-token-file',
      path.join(dir, 'short'),
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('the read token must have at least 16 characters');
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
