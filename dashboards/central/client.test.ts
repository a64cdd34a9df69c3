// The client the verifier uses, against `shugai serve`'s server on a free loopback port, on SQLite
// and on a real PostgreSQL: the key, long windows streamed page by page in stamp order, and refusals
// as errors with the status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../gateway/attest/identity.ts';
import { type RunningPlatform, startPlatformServer } from '../platform/server.ts';
import { databaseWithGateways, eachDatabase } from '../platform/testing.ts';
import { centralAttestations, fetchPublicKey } from './client.ts';
import { type Item, signedChain, T0, testGateway } from './testing.ts';

const TOKEN = 'client-test-token-0123456789';
const gw = testGateway('gw-client');

eachDatabase((database) => {
  let central: RunningPlatform;

  async function collect(window: { from: number; to: number }, token = TOKEN) {
    const out: { text: string; stamp: number }[] = [];
    for await (const item of centralAttestations(central.url, gw.id, token, window)) out.push(item);
    return out;
  }

  beforeAll(async () => {
    const db = await database.target();
    await databaseWithGateways(db, [gw]);
    central = await startPlatformServer({ db, host: '127.0.0.1', port: 0, centralReadToken: TOKEN });
  });

  afterAll(async () => {
    await central?.close();
  });

  describe('central client', () => {
    const chain = signedChain(gw, 4500);

    it('fetches the registered key as an Ed25519 KeyObject', async () => {
      const key = await fetchPublicKey(central.url, gw.id, TOKEN);
      expect(key.asymmetricKeyType).toBe('ed25519');
      expect(fingerprint(key)).toBe(fingerprint(gw.publicKey));
    });

    it('streams a window longer than one page exactly, in stamp order, as {text, stamp}', async () => {
      for (let i = 0; i < chain.length; i += 1000) {
        const response = await fetch(`${central.url}/api/v1/attestations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ items: chain.slice(i, i + 1000) }),
        });
        expect(await response.json()).toEqual({
          accepted: Math.min(1000, chain.length - i),
          duplicates: 0,
          forks: 0,
        });
      }
      const all = await collect({ from: T0, to: T0 + 10_000_000 });
      expect(all.length).toBe(4500);
      expect(all).toEqual(chain.map((i) => ({ text: JSON.stringify(i.attestation), stamp: i.stamp })));
      const part = await collect({ from: (chain[1999] as Item).stamp, to: (chain[2002] as Item).stamp });
      expect(part.map((p) => JSON.parse(p.text).seq)).toEqual([2000, 2001, 2002]);
    });

    it('lets a caller stop early; the next read works', async () => {
      let n = 0;
      for await (const _ of centralAttestations(central.url, gw.id, TOKEN, {
        from: T0,
        to: T0 + 10_000_000,
      })) {
        if (++n === 3) break;
      }
      expect(n).toBe(3);
      expect((await collect({ from: T0, to: T0 + 4000 })).length).toBe(3);
    });

    it('throws the status and reason when the service refuses', async () => {
      await expect(collect({ from: T0, to: T0 + 1000 }, 'wrong-token-0123456789')).rejects.toMatchObject({
        status: 401,
        code: 'UNAUTHORIZED',
        message:
          'central service: HTTP 401 for /api/v1/gateways/gw-client/attestations: a valid read token is required: Authorization: Bearer <token>',
      });
      await expect(fetchPublicKey(central.url, 'gw-nobody', TOKEN)).rejects.toMatchObject({
        status: 404,
        code: 'UNKNOWN_GATEWAY',
      });
      await expect(fetchPublicKey('http://127.0.0.1:9', gw.id, TOKEN)).rejects.toMatchObject({ status: 0 });
    });
  });
});
