// The central attestation service inside the platform, through Fastify inject(), on SQLite and on a
// real PostgreSQL: the write endpoint's checks (all-or-nothing), the token-guarded reads (the
// service's read token, or an account token in scope), exact NDJSON windows and chain summaries.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attestationHash } from '../../gateway/attest/attestation.ts';
import { fingerprint } from '../../gateway/attest/identity.ts';
import { operator } from '../platform/accounts/roles.ts';
import { buildPlatformApp, type PlatformOptions } from '../platform/app.ts';
import type { PlatformDb } from '../platform/db/connect.ts';
import { registerGateway } from '../platform/enterprises/gateways.ts';
import { createEnterprise } from '../platform/enterprises/repository.ts';
import { ENTERPRISES, eachDatabase, seedWorld } from '../platform/testing.ts';
import { CentralStore } from './store.ts';
import { type Item, ndjsonLine, signedChain, T0, type TestGateway, testGateway } from './testing.ts';

const TOKEN = 'read-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const gw = testGateway('gw-01');

eachDatabase((database) => {
  let context: { platform: PlatformDb; enterprise: string } | undefined;
  let app: FastifyInstance;
  const ctx = () => {
    if (!context) throw new Error('no platform');
    return context;
  };

  function start(options: Partial<PlatformOptions> = {}): FastifyInstance {
    app = buildPlatformApp({ platform: ctx().platform, centralReadToken: TOKEN, ...options });
    return app;
  }
  const register = (gateway: TestGateway, enterprise = ctx().enterprise) =>
    registerGateway(ctx().platform.db, operator('test'), enterprise, {
      id: gateway.id,
      publicKey: gateway.publicKeyPem,
    });

  const post = (items: unknown, target = app) =>
    target.inject({ method: 'POST', url: '/api/v1/attestations', payload: { items } });
  const read = (url: string, headers: Record<string, string> = auth) =>
    app.inject({ method: 'GET', url, headers });
  const chainOf = async (id = gw.id) => (await read(`/api/v1/gateways/${id}/chain`)).json();

  beforeEach(async () => {
    const platform = await database.open();
    const enterprise = await createEnterprise(platform.db, operator('test'), {
      ...ENTERPRISES.yongkang,
      uscc: '91110000100010433L',
    });
    context = { platform, enterprise: enterprise.id };
    await register(gw);
    start();
  });

  afterEach(async () => {
    await app.close();
  });

  describe('registry', () => {
    it('serves the registered key as text/plain', async () => {
      const response = await read('/api/v1/gateways/gw-01/key');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toBe(gw.publicKeyPem);
      expect((await read('/api/v1/gateways/gw-99/key')).json()).toEqual({
        error: 'gateway gw-99 is not registered',
        code: 'UNKNOWN_GATEWAY',
      });
      expect((await read('/api/v1/gateways/gw-99/key')).statusCode).toBe(404);
    });
  });

  describe('POST /api/v1/attestations', () => {
    it('accepts a chain, counts an identical resend as duplicates, and stores only what is new', async () => {
      const chain = signedChain(gw, 5);
      const first = await post(chain.slice(0, 3));
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ accepted: 3, duplicates: 0, forks: 0 });
      expect((await post(chain.slice(0, 3))).json()).toEqual({ accepted: 0, duplicates: 3, forks: 0 });
      expect((await post(chain)).json()).toEqual({ accepted: 2, duplicates: 3, forks: 0 });
      // The same attestation twice in one request: the second is a duplicate.
      expect((await post([chain[4], chain[4]])).json()).toEqual({ accepted: 0, duplicates: 2, forks: 0 });
      expect(await chainOf()).toEqual({
        gateway: 'gw-01',
        fingerprint: fingerprint(gw.publicKey),
        count: 5,
        firstSeq: 1,
        lastSeq: 5,
        lastTime: T0 + 5000,
        missing: [],
        missingSeqs: 0,
        missingTruncated: false,
        forks: [],
        forkCount: 0,
      });
    });

    it('stores a second attestation with a held seq as a fork, never over the first, and reports it', async () => {
      const chain = signedChain(gw, 4);
      const other = signedChain(gw, 4, 7); // same key, same seqs, other content: a forked chain
      await post(chain);
      const fork = other[2] as Item;
      const response = await post([fork]);
      expect(response.json()).toEqual({ accepted: 0, duplicates: 0, forks: 1 });
      expect((await post([fork])).json()).toEqual({ accepted: 0, duplicates: 1, forks: 0 });
      const summary = await chainOf();
      expect(summary).toMatchObject({ count: 4, firstSeq: 1, lastSeq: 4, missing: [], forkCount: 1 });
      expect(summary.forks).toEqual([
        {
          seq: 3,
          stamp: fork.stamp,
          hash: attestationHash(fork.attestation),
          firstHash: attestationHash((chain[2] as Item).attestation),
          receivedAt: expect.any(Number),
        },
      ]);
      // Both are evidence: the window holds the first and the fork, ordered by stamp (then arrival).
      const window = await read(`/api/v1/gateways/gw-01/attestations?from=${T0}&to=${T0 + 10_000}`);
      expect(window.body).toBe(
        [chain[0], chain[1], chain[2], fork, chain[3]].map((i) => ndjsonLine(i as Item)).join(''),
      );
    });

    it('keeps at most maxForks fork records per gateway, then refuses the request whole', async () => {
      start({ maxForks: 2 });
      const chain = signedChain(gw, 4);
      const other = signedChain(gw, 4, 7);
      await post(chain);
      expect((await post(other.slice(0, 2))).json()).toEqual({ accepted: 0, duplicates: 0, forks: 2 });
      const refused = await post(other.slice(2, 4));
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({
        code: 'TOO_MANY_FORKS',
        error:
          'gateway gw-01 already has 2 fork records: its key signs a second chain (a restored backup or a copied key); further forks are refused until an operator looks',
      });
      expect(await chainOf()).toMatchObject({ count: 4, forkCount: 2 });
    });

    it('refuses a request with one badly signed attestation, naming gateway and seq, and stores none of it', async () => {
      const chain = signedChain(gw, 3);
      const altered = { ...(chain[1] as Item), attestation: { ...(chain[1] as Item).attestation, time: T0 } };
      const response = await post([chain[0], altered, chain[2]]);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: `items[1]: attestation seq 2 of gateway gw-01 is not signed by its registered key ${fingerprint(gw.publicKey)}`,
        code: 'BAD_SIGNATURE',
      });
      expect(await chainOf()).toMatchObject({
        count: 0,
        firstSeq: null,
        lastSeq: null,
        lastTime: null,
        missing: [],
      });
    });

    it('refuses an unregistered gateway with 403 before storing anything of the request', async () => {
      const stranger = testGateway('gw-stranger');
      const response = await post([...signedChain(gw, 2), ...signedChain(stranger, 1)]);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        error:
          'gateway gw-stranger is not registered with this service; its attestations are refused until an operator registers its key',
        code: 'NOT_REGISTERED',
      });
      expect((await chainOf()).count).toBe(0);
      // A stranger naming a registered gateway is caught by the signature.
      const forged = signedChain({ ...stranger, id: 'gw-01' }, 1);
      expect((await post(forged)).json().code).toBe('BAD_SIGNATURE');
      expect((await chainOf()).count).toBe(0);
    });

    it.each([
      ['not JSON', '{"items": [', 400, 'FST_ERR_CTP_INVALID_JSON_BODY'],
      ['no items', {}, 400, 'BAD_REQUEST', "body must have required property 'items'"],
      ['empty items', { items: [] }, 400, 'BAD_REQUEST', 'body/items must NOT have fewer than 1 items'],
      ['a stamp as text', 'stamp-text', 400, 'BAD_REQUEST', 'body/items/0/stamp must be integer'],
      [
        'an unknown field',
        'extra-field',
        400,
        'BAD_REQUEST',
        'body/items/0/attestation must NOT have additional properties',
      ],
      ['a fractional seq', 'fraction', 400, 'BAD_REQUEST', 'body/items/0/attestation/seq must be integer'],
      ['too many items', 'too-many', 400, 'BAD_REQUEST', 'body/items must NOT have more than 3 items'],
    ])(
      'refuses a malformed body (%s) with 400 and a clear reason',
      async (_what, body, status, code, message?: string) => {
        const limited = start({ maxItems: 3 });
        const chain = signedChain(gw, 4);
        const first = chain[0] as Item;
        const payload =
          body === 'stamp-text'
            ? { items: [{ ...first, stamp: String(first.stamp) }] }
            : body === 'extra-field'
              ? { items: [{ ...first, attestation: { ...first.attestation, note: 'x' } }] }
              : body === 'fraction'
                ? { items: [{ ...first, attestation: { ...first.attestation, seq: 1.5 } }] }
                : body === 'too-many'
                  ? { items: chain }
                  : body;
        const response = await limited.inject({
          method: 'POST',
          url: '/api/v1/attestations',
          headers: { 'content-type': 'application/json' },
          payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        });
        expect(response.statusCode).toBe(status);
        expect(response.json().code).toBe(code);
        if (message !== undefined) expect(response.json().error).toBe(message);
        expect((await chainOf()).count).toBe(0);
      },
    );

    it('refuses a key given twice (JSON.parse would keep the last) and __proto__, naming line and path', async () => {
      const [first, second] = signedChain(gw, 2) as [Item, Item];
      const postText = (payload: string, contentType = 'application/json') =>
        app.inject({
          method: 'POST',
          url: '/api/v1/attestations',
          headers: { 'content-type': contentType },
          payload,
        });
      // The second attestation's seq appears twice: the first value is the real one, the second forged.
      const twice = JSON.stringify({ items: [first, second] }, null, 2).replace(
        `"seq": ${second.attestation.seq},`,
        `"seq": ${second.attestation.seq},\n        "seq": 7,`,
      );
      const line = twice.split('\n').findIndex((l) => l.includes('"seq": 7')) + 1;
      const refused = await postText(twice);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({
        error: `request body:${line} items[1].attestation.seq: duplicate key`,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      const proto = await postText('{"items": [], "__proto__": {"admin": true}}');
      expect(proto.statusCode).toBe(400);
      expect(proto.json()).toEqual({
        error:
          'request body:1 __proto__: a forbidden key (merged into an object, it would change every object)',
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      expect((await chainOf()).count).toBe(0);
      // The same body without the forgery is stored, with a charset in the content type too.
      const accepted = await postText(
        JSON.stringify({ items: [first, second] }),
        'application/json; charset=utf-8',
      );
      expect(accepted.statusCode).toBe(200);
      expect((await chainOf()).count).toBe(2);
    });

    it('refuses a body over the limit with 413, which the sink answers by splitting', async () => {
      const small = start({ bodyLimit: 2000 });
      const response = await post(signedChain(gw, 5), small);
      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    });

    it('limits write requests per address and says when to come back', async () => {
      let now = T0;
      const limited = start({ writeRate: { max: 2, windowMs: 60_000 }, now: () => now });
      const chain = signedChain(gw, 3);
      expect((await post([chain[0]], limited)).statusCode).toBe(200);
      expect((await post([chain[1]], limited)).statusCode).toBe(200);
      now += 15_000;
      const refused = await post([chain[2]], limited);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('45');
      expect(refused.json().code).toBe('RATE_LIMITED');
      now += 45_000;
      expect((await post([chain[2]], limited)).json()).toEqual({ accepted: 1, duplicates: 0, forks: 0 });
    });
  });

  describe('reads', () => {
    it('need the bearer token: 401 without or with a wrong one, 200 with it; /healthz is open', async () => {
      for (const url of [
        '/api/v1/gateways/gw-01/key',
        '/api/v1/gateways/gw-01/chain',
        `/api/v1/gateways/gw-01/attestations?from=0&to=1`,
      ]) {
        const refused: Record<string, string>[] = [
          {},
          { authorization: 'Bearer wrong-token-0123456789' },
          { authorization: TOKEN }, // the token without "Bearer"
          { authorization: `Bearer ${TOKEN}x` },
        ];
        for (const headers of refused) {
          const response = await read(url, headers);
          expect({ url, status: response.statusCode }).toEqual({ url, status: 401 });
          expect(response.headers['www-authenticate']).toBe('Bearer');
          expect(response.json().code).toBe('UNAUTHORIZED');
        }
        expect({ url, status: (await read(url)).statusCode }).toEqual({ url, status: 200 });
      }
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    });

    it("take an account token whose scope holds the gateway's enterprise; others see no such gateway", async () => {
      const accounts = await seedWorld(ctx().platform);
      await register(testGateway('gw-hb'), accounts.enterprise.hebi);
      const officer = await accounts.app.inject({
        method: 'GET',
        url: '/api/v1/gateways/gw-hb/chain',
        headers: accounts.as('officer-hb'),
      });
      expect(officer.json()).toMatchObject({ gateway: 'gw-hb', count: 0 });
      for (const name of ['officer-yk', 'ent-yk', 'provider-1', 'assessor-1']) {
        const response = await accounts.app.inject({
          method: 'GET',
          url: '/api/v1/gateways/gw-hb/key',
          headers: accounts.as(name),
        });
        expect({ name, status: response.statusCode, body: response.json() }).toEqual({
          name,
          status: 404,
          body: { error: 'gateway gw-hb is not registered', code: 'UNKNOWN_GATEWAY' },
        });
      }
      expect(
        (
          await accounts.app.inject({
            method: 'GET',
            url: '/api/v1/gateways/gw-hb/key',
            headers: accounts.as('ent-hb'),
          })
        ).statusCode,
      ).toBe(200);
      await accounts.app.close();
    });

    it('refuse a service read token shorter than 16 characters when the app is built', () => {
      expect(() => buildPlatformApp({ platform: ctx().platform, centralReadToken: 'short' })).toThrow(
        'the read token must have at least 16 characters',
      );
    });

    it('streams exactly the attestations whose stamp is in [from, to), by stamp, as NDJSON', async () => {
      const chain = signedChain(gw, 10);
      // Sent out of order, as a gateway does after an outage (live data first).
      await post(chain.slice(6));
      await post(chain.slice(0, 6));
      const at = (seq: number) => (chain[seq - 1] as Item).stamp;
      const response = await read(`/api/v1/gateways/gw-01/attestations?from=${at(3)}&to=${at(7)}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(response.body).toBe(chain.slice(2, 6).map(ndjsonLine).join(''));
      const empty = await read(`/api/v1/gateways/gw-01/attestations?from=0&to=${at(1)}`);
      expect([empty.statusCode, empty.body]).toEqual([200, '']);
    });

    it.each([
      ['from=1', "querystring must have required property 'to'"],
      ['from=abc&to=5', 'querystring/from must match pattern "^-?[0-9]{1,15}$"'],
      ['from=5&to=5', 'to (5) must be after from (5)'],
      ['from=1&to=5&limit=3', 'querystring must NOT have additional properties'],
    ])('refuses the window %s with 400', async (query, error) => {
      const response = await read(`/api/v1/gateways/gw-01/attestations?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe(error);
    });

    it('answers 404 for an unknown gateway and 400 for an impossible id', async () => {
      expect((await read('/api/v1/gateways/gw-02/attestations?from=0&to=1')).statusCode).toBe(404);
      expect((await read('/api/v1/gateways/gw-02/chain')).json()).toEqual({
        error: 'gateway gw-02 is not registered',
        code: 'UNKNOWN_GATEWAY',
      });
      expect((await read('/api/v1/gateways/_gw/chain')).statusCode).toBe(400);
    });

    it('summarises the chain with the seq ranges never received, the leading ones included', async () => {
      const chain = signedChain(gw, 12);
      const pick = (...seqs: number[]) => seqs.map((s) => chain[s - 1] as Item);
      await post(pick(3, 4, 7, 8, 9, 12));
      expect(await chainOf()).toEqual({
        gateway: 'gw-01',
        fingerprint: fingerprint(gw.publicKey),
        count: 6,
        firstSeq: 3,
        lastSeq: 12,
        lastTime: T0 + 12_000,
        missing: [
          [1, 2],
          [5, 6],
          [10, 11],
        ],
        missingSeqs: 6,
        missingTruncated: false,
        forks: [],
        forkCount: 0,
      });
      const store = new CentralStore(ctx().platform.db);
      expect(await store.chain((await store.gateway(gw.id))!, 2)).toMatchObject({
        missing: [
          [1, 2],
          [5, 6],
        ],
        missingSeqs: 6,
        missingTruncated: true,
      });
      await post(pick(1, 2, 5, 6, 10, 11));
      expect(await chainOf()).toMatchObject({
        count: 12,
        firstSeq: 1,
        lastSeq: 12,
        missing: [],
        missingSeqs: 0,
      });
    });
  });

  describe('the log', () => {
    it('names refusals and forks, and never holds the read token', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
      await app.close();
      app = buildPlatformApp({ platform: ctx().platform, centralReadToken: TOKEN }, logger);
      await post(signedChain(gw, 2));
      await post([signedChain(gw, 2, 9)[1]]);
      await post(signedChain(testGateway('gw-stranger'), 1));
      await read('/api/v1/gateways/gw-01/chain');
      await read('/api/v1/gateways/gw-01/chain', { authorization: 'Bearer wrong-token-0123456789' });
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [40, 'a second attestation with the same seq: the chain forks; both are kept'],
        [40, 'refused'],
      ]);
      expect(lines[0]).toMatchObject({ gateway: 'gw-01', seq: 2 });
      expect(lines[1]).toMatchObject({ code: 'NOT_REGISTERED' });
      expect(JSON.stringify(lines)).not.toContain(TOKEN);
      expect(JSON.stringify(lines)).not.toContain('wrong-token');
    });
  });

  describe('attestation signatures', () => {
    it('are checked on the canonical JSON, so key order in the request does not matter', async () => {
      const [item] = signedChain(gw, 1) as [Item];
      const reordered = Object.fromEntries(Object.entries(item.attestation).reverse());
      expect((await post([{ attestation: reordered, stamp: item.stamp }])).json()).toEqual({
        accepted: 1,
        duplicates: 0,
        forks: 0,
      });
    });

    it("bind the gateway: gw-01's key cannot write for gw-02", async () => {
      await register(testGateway('gw-02'));
      const signedByGw01: TestGateway = { ...gw, id: 'gw-02' };
      const response = await post(signedChain(signedByGw01, 1));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toContain(
        'attestation seq 1 of gateway gw-02 is not signed by its registered key',
      );
    });
  });
});
