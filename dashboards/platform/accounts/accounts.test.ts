// Accounts, sessions, CSRF and API tokens through inject(), on SQLite and on a real PostgreSQL:
// cookies HttpOnly + SameSite + Secure, sessions and the login limit kept in the database, changes
// made with the cookie refused without the session's CSRF token (JSON and form posts), tokens shown
// once and revocable, accounts managed by the admin only.
import { describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/log.ts';
import { ENTERPRISES, eachDatabase, PASSWORD, seedWorld, type World } from '../testing.ts';

async function login(world: World, name: string, password = PASSWORD, ip = '10.0.0.1') {
  return world.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { name, password },
    remoteAddress: ip,
  });
}

function cookieOf(response: { cookies: { name: string; value: string }[] }): string {
  const cookie = response.cookies.find((c) => c.name === 'shugai_session');
  if (!cookie) throw new Error('no session cookie');
  return `shugai_session=${cookie.value}`;
}

eachDatabase((database) => {
  const world = async (options = {}) => seedWorld(await database.open(), options);

  describe('sessions', () => {
    it('logs in with a HttpOnly, SameSite=Strict, Secure cookie and answers who is logged in', async () => {
      const w = await world();
      const response = await login(w, 'officer-yk');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.account).toMatchObject({
        name: 'officer-yk',
        role: 'officer',
        region: '330784',
        enterpriseId: null,
      });
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toMatch(/^shugai_session=[A-Za-z0-9_-]{43}; /);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Secure');
      const me = await w.app.inject({
        method: 'GET',
        url: '/api/v1/session',
        headers: { cookie: cookieOf(response) },
      });
      expect(me.json()).toEqual(body);
      // The database holds the token's hash, not the token.
      const stored = await w.platform.db.selectFrom('sessions').select('id').execute();
      expect(stored.map((s) => s.id)).not.toContain(cookieOf(response).split('=')[1]);
    });

    it('refuses a wrong password and an unknown account alike, and answers 401 without a session', async () => {
      const w = await world();
      for (const [name, password] of [
        ['officer-yk', 'wrong password!'],
        ['nobody', PASSWORD],
      ] as const) {
        const response = await login(w, name, password);
        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual({ error: 'wrong account name or password', code: 'UNAUTHORIZED' });
      }
      const anonymous = await w.app.inject({ method: 'GET', url: '/api/v1/enterprises' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().code).toBe('UNAUTHORIZED');
      const forged = await w.app.inject({
        method: 'GET',
        url: '/api/v1/enterprises',
        headers: { cookie: 'shugai_session=forged' },
      });
      expect(forged.statusCode).toBe(401);
    });

    it('limits failed logins per account name, in the database, even for the right password then', async () => {
      const w = await world();
      for (let i = 0; i < 5; i++)
        expect((await login(w, 'ent-yk', 'not the password', `10.0.0.${i}`)).statusCode).toBe(401);
      const limited = await login(w, 'ent-yk', PASSWORD, '10.0.0.99');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another account is not affected; the counters are rows, shared by every process.
      expect((await login(w, 'ent-hb')).statusCode).toBe(200);
      const rows = await w.platform.db
        .selectFrom('rate_limits')
        .select(['key', 'count'])
        .where('key', '=', 'login:name:ent-yk')
        .execute();
      expect(rows).toEqual([{ key: 'login:name:ent-yk', count: 5 }]);
    });

    it('limits failed logins per client address too', async () => {
      const w = await world({
        loginRate: { perName: { max: 100, windowMs: 60_000 }, perAddress: { max: 3, windowMs: 60_000 } },
      });
      for (const name of ['a-1', 'a-2', 'a-3'])
        expect((await login(w, name, 'x', '10.9.9.9')).statusCode).toBe(401);
      expect((await login(w, 'admin', PASSWORD, '10.9.9.9')).statusCode).toBe(429);
      expect((await login(w, 'admin', PASSWORD, '10.9.9.8')).statusCode).toBe(200);
    });

    it('logs out: the cookie no longer works', async () => {
      const w = await world();
      const session = await login(w, 'admin');
      const headers = { cookie: cookieOf(session), 'x-csrf-token': session.json().csrfToken };
      expect((await w.app.inject({ method: 'POST', url: '/api/v1/session/logout', headers })).json()).toEqual(
        { ok: true },
      );
      expect((await w.app.inject({ method: 'GET', url: '/api/v1/session', headers })).statusCode).toBe(401);
    });

    it('expires sessions', async () => {
      let t = Date.now();
      const w = await world({ sessionTtlMs: 1000, now: () => t });
      const session = await login(w, 'admin');
      const headers = { cookie: cookieOf(session) };
      expect((await w.app.inject({ method: 'GET', url: '/api/v1/session', headers })).statusCode).toBe(200);
      t += 1000;
      expect((await w.app.inject({ method: 'GET', url: '/api/v1/session', headers })).statusCode).toBe(401);
    });
  });

  describe('CSRF', () => {
    it('refuses a change made with the cookie without the session token, wrong or right', async () => {
      const w = await world();
      const session = await login(w, 'officer-yk');
      const cookie = cookieOf(session);
      const put = (headers: Record<string, string>) =>
        w.app.inject({
          method: 'PUT',
          url: `/api/v1/enterprises/${w.enterprise.yongkang}`,
          headers: { cookie, ...headers },
          payload: { ...ENTERPRISES.yongkang, batch: 3 },
        });
      const missing = await put({});
      expect(missing.statusCode).toBe(403);
      expect(missing.json().code).toBe('CSRF');
      expect((await put({ 'x-csrf-token': 'not-the-token' })).json().code).toBe('CSRF');
      const other = await login(w, 'officer-yk');
      expect((await put({ 'x-csrf-token': other.json().csrfToken })).json().code).toBe('CSRF');
      const right = await put({ 'x-csrf-token': session.json().csrfToken });
      expect(right.statusCode).toBe(200);
      expect(right.json().batch).toBe(3);
      // Reads need no token.
      expect(
        (await w.app.inject({ method: 'GET', url: '/api/v1/enterprises', headers: { cookie } })).statusCode,
      ).toBe(200);
    });

    it('checks the _csrf field of a form post', async () => {
      const w = await world();
      const session = await login(w, 'admin');
      const form = (body: string) =>
        w.app.inject({
          method: 'POST',
          url: '/api/v1/session/logout',
          headers: { cookie: cookieOf(session), 'content-type': 'application/x-www-form-urlencoded' },
          payload: body,
        });
      expect((await form('')).json().code).toBe('CSRF');
      expect((await form('_csrf=forged')).json().code).toBe('CSRF');
      const ok = await form(`_csrf=${encodeURIComponent(session.json().csrfToken)}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ ok: true });
    });

    it('needs no CSRF token from a bearer token, which a browser never sends by itself', async () => {
      const w = await world();
      const response = await w.call('officer-yk', 'PUT', `/api/v1/enterprises/${w.enterprise.yongkang}`, {
        ...ENTERPRISES.yongkang,
        batch: 2,
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('API tokens', () => {
    it('shows a token once, lists it without its secret, and stops accepting it once revoked', async () => {
      const w = await world();
      const created = await w.call('officer-yk', 'POST', '/api/v1/tokens', { name: 'verifier' });
      expect(created.statusCode).toBe(200);
      const { token, id } = created.json();
      expect(token).toMatch(/^shugai_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      const bearer = { authorization: `Bearer ${token}` };
      // The secret may itself hold '_' (base64url): everything after the id is the secret.
      const secret = token.split('_').slice(2).join('_');
      const list = await w.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer });
      expect(list.json().map((t: { name: string }) => t.name)).toEqual(['tests', 'verifier']);
      expect(list.body).not.toContain(secret);
      const stored = await w.platform.db.selectFrom('api_tokens').select('secret_hash').execute();
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect(
        (await w.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: bearer })).json(),
      ).toEqual({ ok: true });
      const after = await w.app.inject({ method: 'GET', url: '/api/v1/enterprises', headers: bearer });
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('UNAUTHORIZED');
      // Another account cannot revoke it (it is not theirs): not found.
      const again = await w.call('admin', 'DELETE', `/api/v1/tokens/${id}`);
      expect(again.statusCode).toBe(404);
      // A token with a right id and a wrong secret is refused.
      const forged = `Bearer shugai_${id}_${'A'.repeat(43)}`;
      expect(
        (await w.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: forged } }))
          .statusCode,
      ).toBe(401);
    });
  });

  describe('accounts', () => {
    it('lets the admin create, list and disable accounts; disabling ends sessions and tokens', async () => {
      const w = await world();
      const admin = w.as('admin');
      const created = await w.app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: admin,
        payload: {
          name: 'officer-fy',
          role: 'officer',
          displayName: '富阳区经信局',
          password: PASSWORD,
          region: '330183',
        },
      });
      expect(created.statusCode).toBe(200);
      expect(created.json()).toMatchObject({
        name: 'officer-fy',
        role: 'officer',
        region: '330183',
        disabled: false,
      });
      expect(created.body).not.toContain('scrypt');
      const list = await w.app.inject({ method: 'GET', url: '/api/v1/accounts', headers: admin });
      expect(list.json().map((a: { name: string }) => a.name)).toContain('officer-fy');
      expect(list.body).not.toContain('scrypt');

      const session = await login(w, 'ent-yk');
      const disabled = await w.app.inject({
        method: 'POST',
        url: '/api/v1/accounts/ent-yk/disable',
        headers: admin,
      });
      expect(disabled.json()).toMatchObject({ name: 'ent-yk', disabled: true });
      expect(
        (
          await w.app.inject({
            method: 'GET',
            url: '/api/v1/session',
            headers: { cookie: cookieOf(session) },
          })
        ).statusCode,
      ).toBe(401);
      expect((await w.call('ent-yk', 'GET', '/api/v1/session')).statusCode).toBe(401);
      expect((await login(w, 'ent-yk')).json()).toEqual({
        error: 'account ent-yk is disabled',
        code: 'UNAUTHORIZED',
      });
      await w.app.inject({ method: 'POST', url: '/api/v1/accounts/ent-yk/enable', headers: admin });
      expect((await login(w, 'ent-yk')).statusCode).toBe(200);
      expect(await verifyAudit(w.platform.db)).toMatchObject({ ok: true });
      const actions = await w.platform.db
        .selectFrom('audit_log')
        .select(['actor', 'action'])
        .where('entity', '=', 'account')
        .where('actor', '=', 'account:admin')
        .execute();
      expect(actions.map((a) => a.action)).toEqual(['account.create', 'account.disable', 'account.enable']);
    });

    it('refuses bad accounts with their reason, and every other role', async () => {
      const w = await world();
      const post = (payload: Record<string, unknown>, name = 'admin') =>
        w.call(name, 'POST', '/api/v1/accounts', payload);
      const base = {
        name: 'new-one',
        role: 'officer',
        displayName: 'x',
        password: PASSWORD,
        region: '330784',
      };
      expect((await post({ ...base, name: 'admin' })).json()).toEqual({
        error: 'account name "admin" is taken',
        code: 'CONFLICT',
      });
      expect((await post({ ...base, region: '99' })).json()).toEqual({
        error: 'region "99": 99 is no province code',
        code: 'BAD_REGION',
      });
      expect((await post({ ...base, region: undefined })).json().code).toBe('BAD_REGION');
      expect((await post({ ...base, password: 'short' })).json()).toEqual({
        error: 'the password has 5 characters; at least 12 are required',
        code: 'BAD_REQUEST',
      });
      expect(
        (await post({ ...base, role: 'enterprise', region: undefined, enterpriseId: 'ent_nope' })).statusCode,
      ).toBe(404);
      expect((await post({ ...base, role: 'root' })).statusCode).toBe(400);
      expect((await post({ ...base, extra: 1 })).statusCode).toBe(400);
      for (const name of ['officer-yk', 'ent-yk', 'provider-1', 'assessor-1']) {
        const refused = await post({ ...base, name: `by-${name}` }, name);
        expect(refused.statusCode).toBe(403);
        expect(refused.json().code).toBe('FORBIDDEN');
        expect((await w.call(name, 'GET', '/api/v1/accounts')).statusCode).toBe(403);
        expect((await w.call(name, 'POST', '/api/v1/accounts/admin/disable')).statusCode).toBe(403);
      }
      expect((await w.call('admin', 'POST', '/api/v1/accounts/nobody/disable')).statusCode).toBe(404);
    });
  });
});
