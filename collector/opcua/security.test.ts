import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SecurityPolicy } from 'node-opcua-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaCollector } from './opcua-collector.ts';
import { fingerprint, listCertificates, trustCertificate } from './pki.ts';
import { collectingContext, operatorConnection, secureServer, waitFor } from './test-server.ts';

const secure = secureServer('shugai-opcua-sec-', { securityPolicies: [SecurityPolicy.Basic256Sha256] });
let serverFingerprint: string;

beforeAll(secure.start);
afterAll(secure.stop);

beforeAll(async () => {
  serverFingerprint = fingerprint(await secure.server.certificate());
});

function config(pki: string, extra: Record<string, unknown> = {}) {
  return operatorConnection(secure.server, {
    id: 'secure-plc',
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    pkiDir: path.join(secure.dir, pki),
    reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
    ...extra,
  });
}

describe('OPC UA security', () => {
  it('rejects an unknown server certificate, keeps it in rejected/, and works once trusted', async () => {
    const context = collectingContext();
    const cfg = config('pki-trust');
    const collector = new OpcuaCollector(cfg, context);
    await collector.start();
    try {
      const errors = context.metrics.errors;
      // The certificate lands in rejected/ a moment before the failed attempt is counted.
      await waitFor(
        'rejected certificate and the failed attempt counted',
        async () =>
          listCertificates(cfg.pkiDir).some((c) => c.status === 'rejected') &&
          (await context.metrics.count(errors, { device: 'press-1', kind: 'connect_failed' })) > 0,
      );
      expect(context.conditions.isActive({ device: 'press-1' }, 'connect_untrusted')).toBe(true);
      expect(context.samples).toHaveLength(0);
      const [rejected] = listCertificates(cfg.pkiDir);
      expect(rejected?.sha256).toBe(serverFingerprint);
      expect(secure.server.sessionCount).toBe(0);

      await trustCertificate(cfg.pkiDir, serverFingerprint);
      expect(listCertificates(cfg.pkiDir).map((c) => c.status)).toEqual(['trusted']);
      await waitFor('data over SignAndEncrypt', () => context.samples.find((s) => s.tag === 'count'));
      expect(context.samples[0]).toMatchObject({ device: 'press-1', value: -7, quality: 'good' });
      expect(context.conditions.isActive({ device: 'press-1' }, 'connect_untrusted')).toBe(false);
    } finally {
      await collector.stop();
    }
    await waitFor('no session left', () => secure.server.sessionCount === 0);
    // The client certificate was created once and persisted in the PKI folder.
    expect(readdirSync(path.join(cfg.pkiDir, 'own', 'certs')).some((f) => f.endsWith('.pem'))).toBe(true);
  });

  it('the error for an untrusted certificate names the fingerprint and the command to trust it', async () => {
    const cfg = config('pki-message');
    const collector = new OpcuaCollector(cfg, collectingContext());
    await expect(collector.readOnce()).rejects.toThrow(`shugai pki trust ${serverFingerprint}`);
    await collector.stop();
    expect(existsSync(path.join(cfg.pkiDir, 'rejected'))).toBe(true);
  });

  describe('with the server certificate trusted', () => {
    const pki = 'pki-trusted';
    beforeAll(async () => {
      const probe = new OpcuaCollector(config(pki), collectingContext());
      await probe.readOnce().catch(() => undefined);
      await probe.stop();
      await trustCertificate(path.join(secure.dir, pki), serverFingerprint);
    });

    it('reads over SignAndEncrypt/Basic256Sha256 with username and password', async () => {
      const collector = new OpcuaCollector(config(pki), collectingContext());
      const samples = await collector.readOnce();
      await collector.stop();
      expect(samples.map((s) => [s.tag, s.value, s.quality])).toEqual([['count', -7, 'good']]);
    });

    it('refuses a wrong password without logging it', async () => {
      const lines: string[] = [];
      const cfg = config(pki, { auth: { type: 'username', username: 'operator', password: 'wrong-pass' } });
      const collector = new OpcuaCollector(cfg, collectingContext(lines));
      const error = await collector.readOnce().catch((e: Error) => e);
      expect((error as Error).message).toMatch(/session on .* refused/);
      // The running collector logs the failure (once) with the device named, never the password.
      await collector.start();
      await waitFor('failure logged', () => lines.some((l) => l.includes('connect_')));
      await collector.stop();
      expect(lines.join('\n')).toContain('press-1');
      expect(`${lines.join('\n')}${(error as Error).message}`).not.toContain('wrong-pass');
    });

    it('refuses a server whose certificate does not match the pinned fingerprint', async () => {
      const wrongPin = `sha256:${'AB:'.repeat(31)}AB`;
      const collector = new OpcuaCollector(
        config(pki, { serverCertificateFingerprint: wrongPin }),
        collectingContext(),
      );
      await expect(collector.readOnce()).rejects.toThrow(
        /does not match the pinned serverCertificateFingerprint/,
      );
      await collector.stop();
      const pinned = new OpcuaCollector(
        config(pki, { serverCertificateFingerprint: fingerprint(await secure.server.certificate(), 'sha1') }),
        collectingContext(),
      );
      expect(await pinned.readOnce()).toHaveLength(1);
      await pinned.stop();
    });

    it('never falls back to None: a mode the server does not offer is an error naming what it offers', async () => {
      const collector = new OpcuaCollector(
        config(pki, { securityMode: 'None', securityPolicy: 'None', auth: { type: 'anonymous' } }),
        collectingContext(),
      );
      await expect(collector.readOnce()).rejects.toThrow(
        /does not offer securityMode None with securityPolicy None; it offers: SignAndEncrypt\/Basic256Sha256/,
      );
      await collector.stop();
      const sign = new OpcuaCollector(config(pki, { securityMode: 'Sign' }), collectingContext());
      await expect(sign.readOnce()).rejects.toThrow(/does not offer securityMode Sign/);
      await sign.stop();
      expect(secure.server.sessionCount).toBe(0);
    });
  });
});
