/**
 * Logging in and out (`/api/v1/session`), the admin's accounts, and each account's API tokens.
 * Login is public (JSON only, so a cross-site form cannot post it) and rate-limited in the database.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, idParams, json, ok } from '../json-schema.ts';
import type { RateLimit } from './rate-limit.ts';
import { createAccount, listAccounts, setDisabled } from './repository.ts';
import { actorOf, type Principal, requireGrant } from './roles.ts';
import {
  accountInput,
  accountView,
  createdToken,
  loginInput,
  nameParams,
  sessionView,
  tokenInput,
  tokenView,
} from './schemas.ts';
import { login, logout, SESSION_COOKIE } from './sessions.ts';
import { createToken, listTokens, revokeToken } from './tokens.ts';

export interface SessionOptions {
  db: Db;
  now: () => number;
  ttlMs: number;
  secureCookies: boolean;
  perName: RateLimit;
  perAddress: RateLimit;
}

const sessionBody = (p: Principal, csrfToken: string) => ({
  account: { id: p.id, name: p.name, role: p.role, region: p.region, enterpriseId: p.enterpriseId },
  csrfToken,
});

/** POST /api/v1/session: public. */
export const loginRoute: FastifyPluginAsync<SessionOptions> = async (app, o) => {
  app.post<{ Body: z.infer<typeof loginInput> }>(
    '/api/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'log in: sets the session cookie',
        body: json(loginInput),
        response: { 200: json(sessionView), ...ERRORS },
      },
    },
    async (request, reply) => {
      const opened = await login(o.db, request.body.name, request.body.password, request.ip, {
        perName: o.perName,
        perAddress: o.perAddress,
        ttlMs: o.ttlMs,
        now: o.now(),
      });
      reply.setCookie(SESSION_COOKIE, opened.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: o.secureCookies,
        expires: new Date(opened.expiresAt),
      });
      return sessionBody(opened.principal, opened.csrf);
    },
  );
};

/** The routes behind authentication: the session, accounts (admin) and tokens. */
export function accountRoutes(app: FastifyInstance, o: SessionOptions): void {
  const { db, now } = o;

  app.get(
    '/api/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'who is logged in, and the CSRF token of the session',
        response: { 200: json(sessionView), ...ERRORS },
      },
    },
    async (request) => sessionBody(principal(request), request.csrf ?? ''),
  );

  app.post(
    '/api/v1/session/logout',
    {
      schema: {
        tags: ['session'],
        summary: 'log out (a form post works: _csrf)',
        response: { 200: json(ok), ...ERRORS },
      },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await logout(db, cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'every account (admin)',
        response: { 200: json(accountView.array()), ...ERRORS },
      },
    },
    async (request) => {
      requireGrant(principal(request), 'accounts.manage');
      return listAccounts(db);
    },
  );

  app.post<{ Body: z.infer<typeof accountInput> }>(
    '/api/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'create an account (admin)',
        body: json(accountInput),
        response: { 200: json(accountView), ...ERRORS },
      },
    },
    async (request) => {
      const p = principal(request);
      requireGrant(p, 'accounts.manage');
      return createAccount(db, actorOf(p), request.body, now());
    },
  );

  for (const disabled of [true, false])
    app.post<{ Params: { name: string } }>(
      `/api/v1/accounts/:name/${disabled ? 'disable' : 'enable'}`,
      {
        schema: {
          tags: ['accounts'],
          summary: disabled
            ? 'disable an account: its sessions end, its tokens are revoked (admin)'
            : 'enable an account again (admin)',
          params: json(nameParams),
          response: { 200: json(accountView), ...ERRORS },
        },
      },
      async (request) => {
        const p = principal(request);
        requireGrant(p, 'accounts.manage');
        return setDisabled(db, actorOf(p), request.params.name, disabled, now());
      },
    );

  app.get(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: "this account's API tokens",
        response: { 200: json(tokenView.array()), ...ERRORS },
      },
    },
    async (request) => listTokens(db, principal(request)),
  );

  app.post<{ Body: z.infer<typeof tokenInput> }>(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'a new API token for this account, shown once',
        body: json(tokenInput),
        response: { 200: json(createdToken), ...ERRORS },
      },
    },
    async (request) => createToken(db, principal(request), request.body.name, now()),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: "revoke one of this account's tokens",
        params: json(idParams),
        response: { 200: json(ok), ...ERRORS },
      },
    },
    async (request) => {
      await revokeToken(db, principal(request), request.params.id, now());
      return { ok: true as const };
    },
  );
}
