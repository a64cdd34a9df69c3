// The app's own surface: OpenAPI generated from the route schemas and its UI served from the package
// (no CDN), /healthz, unknown routes and malformed bodies answered as {error, code}, nothing of a
// password or a token in the log.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildPlatformApp } from './app.ts';
import { eachDatabase, PASSWORD, seedWorld } from './testing.ts';

const ROUTES = [
  'get /api/v1/session',
  'post /api/v1/session',
  'post /api/v1/session/logout',
  'get /api/v1/accounts',
  'post /api/v1/accounts',
  'post /api/v1/accounts/{name}/disable',
  'post /api/v1/accounts/{name}/enable',
  'get /api/v1/tokens',
  'post /api/v1/tokens',
  'delete /api/v1/tokens/{id}',
  'get /api/v1/enterprises',
  'post /api/v1/enterprises',
  'get /api/v1/enterprises/{id}',
  'put /api/v1/enterprises/{id}',
  'get /api/v1/enterprises/{id}/file',
  'get /api/v1/enterprises/{id}/register',
  'put /api/v1/enterprises/{id}/register',
  'get /api/v1/enterprises/{id}/gateways',
  'post /api/v1/enterprises/{id}/gateways',
  'get /api/v1/enterprises/{id}/renovation',
  'put /api/v1/enterprises/{id}/renovation',
  'get /api/v1/enterprises/{id}/assessors',
  'post /api/v1/enterprises/{id}/assessors',
  'get /api/v1/enterprises/{id}/assessments',
  'post /api/v1/enterprises/{id}/assessments',
  'get /api/v1/assessments/{id}',
  'post /api/v1/assessments/{id}/validate',
  'post /api/v1/assessments/{id}/attachments',
  'get /api/v1/assessments/{id}/attachments/{sha256}',
  'post /api/v1/attestations',
  'get /api/v1/gateways/{id}/key',
  'get /api/v1/gateways/{id}/attestations',
  'get /api/v1/gateways/{id}/chain',
  'put /api/v1/enterprises/{id}/gateways/{gateway}/store',
  'get /api/v1/enterprises/{id}/applications',
  'post /api/v1/enterprises/{id}/applications',
  'get /api/v1/applications',
  'get /api/v1/applications/{id}',
  'post /api/v1/applications/{id}/resubmit',
  'post /api/v1/applications/{id}/verifications',
  'get /api/v1/verifications/{id}',
  'post /api/v1/applications/{id}/{step}',
  'get /api/v1/payouts',
  'get /api/v1/samplings',
  'post /api/v1/samplings',
  'get /api/v1/samplings/{id}',
];

eachDatabase((database) => {
  describe('the app', () => {
    it('documents every route in OpenAPI at /docs/json, with its body schema, and serves the UI itself', async () => {
      const app = buildPlatformApp({ platform: await database.open() });
      const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      const documented = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`),
      );
      expect(documented.sort()).toEqual([...ROUTES].sort());
      const create = spec.paths['/api/v1/enterprises'].post;
      expect(create.requestBody.content['application/json'].schema.required).toEqual([
        'name',
        'uscc',
        'region',
        'industry',
        'scale',
        'sme',
        'batch',
      ]);
      const ui = await app.inject({ method: 'GET', url: '/docs/' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger-ui');
      expect(ui.body).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
      const script = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
      expect(script.statusCode).toBe(200);
      await app.close();
    });

    it('answers /healthz, and {error, code} for an unknown route and a malformed body', async () => {
      const w = await seedWorld(await database.open());
      expect((await w.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await w.app.inject({ method: 'GET', url: '/api/v1/nothing?x=1' })).json()).toEqual({
        error: 'no route GET /api/v1/nothing',
        code: 'NOT_FOUND',
      });
      const malformed = await w.app.inject({
        method: 'POST',
        url: '/api/v1/enterprises',
        headers: { ...w.as('admin'), 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
      const xml = await w.app.inject({
        method: 'POST',
        url: '/api/v1/enterprises',
        headers: { ...w.as('admin'), 'content-type': 'application/xml' },
        payload: '<x/>',
      });
      expect(xml.statusCode).toBe(415);
      expect(xml.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
      // A text body (what a cross-site form may send without a preflight) is no JSON object: refused.
      const text = await w.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'text/plain' },
        payload: 'name=admin',
      });
      expect([text.statusCode, text.json().code]).toEqual([400, 'BAD_REQUEST']);
    });

    it('never logs a password, a session or a token', async () => {
      const lines: string[] = [];
      const platform = await database.open();
      const w = await seedWorld(platform);
      const app = buildPlatformApp(
        { platform },
        pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
      );
      const session = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { name: 'officer-yk', password: PASSWORD },
      });
      await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { name: 'officer-yk', password: 'a wrong password' },
      });
      await app.inject({
        method: 'POST',
        url: '/api/v1/enterprises',
        headers: { cookie: `shugai_session=${session.cookies[0]?.value}` },
        payload: {},
      });
      await app.inject({ method: 'GET', url: '/api/v1/accounts', headers: w.as('officer-yk') });
      expect(lines.length).toBeGreaterThan(0);
      const log = lines.join('');
      for (const secret of [
        PASSWORD,
        'a wrong password',
        session.cookies[0]?.value,
        w.as('officer-yk').authorization.slice(7),
      ])
        expect(log).not.toContain(secret);
      await app.close();
    });
  });
});
