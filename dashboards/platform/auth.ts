/**
 * Who is asking: a bearer API token (machine clients) or the session cookie (people). Changes made
 * with the cookie must carry the session's CSRF token (header `x-csrf-token`, or the form field
 * `_csrf` of a form post); a bearer token is not sent by browsers on their own, so it needs none.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CentralError } from '../central/errors.ts';
import type { RegisteredGateway } from '../central/store.ts';
import type { Principal } from './accounts/roles.ts';
import { csrfMatches, SESSION_COOKIE, sessionOf } from './accounts/sessions.ts';
import { tokenPrincipal } from './accounts/tokens.ts';
import type { Db } from './db/connect.ts';
import { PlatformError } from './errors.ts';
import { enterpriseScope } from './scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` for the routes behind it. */
    principal: Principal | null;
    /** The session's CSRF token, when authenticated by the cookie. */
    csrf: string | null;
  }
  interface FastifyContextConfig {
    /**
     * A page's file upload: a multipart body is read by the handler, after `authenticate`, so the
     * handler checks the form's `_csrf` field itself with `requireFormCsrf` before keeping anything.
     */
    multipartCsrf?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** The CSRF token a request carries: the header, or `_csrf` of a form body (removed from it). */
function csrfOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | null | undefined;
  if (body && typeof body === 'object' && typeof body._csrf === 'string') {
    const token = body._csrf;
    delete body._csrf;
    return token;
  }
  return undefined;
}

/**
 * A preValidation hook (the body is parsed, not yet validated) for every route that needs an account:
 * sets `request.principal` or answers 401; refuses a cookie-authenticated change without its CSRF token.
 */
export function authenticate(db: Db, now: () => number) {
  return async (request: FastifyRequest): Promise<void> => {
    const bearer = bearerOf(request);
    if (bearer !== undefined) {
      const principal = await tokenPrincipal(db, bearer);
      if (!principal)
        throw new PlatformError('UNAUTHORIZED', 'the API token is unknown, revoked, or its account disabled');
      request.principal = principal;
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie ? await sessionOf(db, cookie, now()) : undefined;
    if (!session)
      throw new PlatformError('UNAUTHORIZED', 'log in first (POST /api/v1/session) or send an API token');
    const deferred = request.routeOptions.config.multipartCsrf === true && request.isMultipart();
    if (!SAFE_METHODS.has(request.method) && !deferred && !csrfMatches(csrfOf(request), session.csrf))
      throw csrfRefused();
    request.principal = session.principal;
    request.csrf = session.csrf;
  };
}

const csrfRefused = () =>
  new PlatformError(
    'CSRF',
    "this change needs the session's CSRF token (header x-csrf-token or form field _csrf)",
  );

/** A multipart form's `_csrf` field, on a `multipartCsrf` route (a bearer token needs none). */
export function requireFormCsrf(request: FastifyRequest, token: string | undefined): void {
  if (request.csrf !== null && !csrfMatches(token, request.csrf)) throw csrfRefused();
}

/** The principal of an authenticated route (set by `authenticate`). */
export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new PlatformError('UNAUTHORIZED', 'not authenticated');
  return request.principal;
}

/**
 * Reads of the central copy: the service-wide read token given at start (as the stand-alone central
 * service had it, for `shugai verify --central`), or an account's API token whose scope includes the
 * gateway's enterprise. A gateway out of scope is answered as unknown.
 */
export function centralReadAccess(db: Db, readToken: string | undefined) {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const serviceToken = readToken === undefined ? undefined : digest(readToken);
  return async (
    request: FastifyRequest,
    gateway: RegisteredGateway | undefined,
    id: string,
  ): Promise<RegisteredGateway> => {
    const bearer = bearerOf(request);
    const unknown = () => new CentralError('UNKNOWN_GATEWAY', `gateway ${id} is not registered`);
    if (bearer !== undefined && serviceToken && timingSafeEqual(digest(bearer), serviceToken)) {
      if (!gateway) throw unknown();
      return gateway;
    }
    const account = bearer === undefined ? undefined : await tokenPrincipal(db, bearer);
    if (!account)
      throw new CentralError('UNAUTHORIZED', 'a valid read token is required: Authorization: Bearer <token>');
    if (!gateway) throw unknown();
    const visible = await db
      .selectFrom('enterprises')
      .select('id')
      .where('id', '=', gateway.enterpriseId)
      .where(enterpriseScope(account))
      .executeTakeFirst();
    if (!visible) throw unknown();
    return gateway;
  };
}

export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('csrf', null);
}
