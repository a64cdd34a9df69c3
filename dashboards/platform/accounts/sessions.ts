/**
 * Sessions live in the database, so any `serve` process sharing it accepts a session another one
 * opened. The cookie carries a random token; the database keeps only its sha256, so a copy of the
 * database opens no session. Each session has its own CSRF token, which every change made with the
 * cookie must repeat (header `x-csrf-token` or form field `_csrf`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../db/connect.ts';
import { PlatformError } from '../errors.ts';
import { DUMMY_HASH, passwordMatches } from './passwords.ts';
import { countEvent, eventsInWindow, type RateLimit } from './rate-limit.ts';
import { accountByName, principalOf } from './repository.ts';
import type { Principal } from './roles.ts';

export const SESSION_COOKIE = 'shugai_session';
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export interface OpenedSession {
  token: string;
  csrf: string;
  expiresAt: number;
  principal: Principal;
}

export interface LoginOptions {
  /** Failed logins allowed per account name, and per client address, in a window. */
  perName: RateLimit;
  perAddress: RateLimit;
  ttlMs: number;
  now: number;
}

/**
 * Checks a name and password and opens a session. Failures are counted per name and per address in
 * the database; past the limit every attempt is refused before the password is even checked.
 */
export async function login(
  db: Executor,
  name: string,
  password: string,
  address: string,
  options: LoginOptions,
): Promise<OpenedSession> {
  const { now } = options;
  const keys = [
    { key: `login:name:${name}`, limit: options.perName },
    { key: `login:address:${address}`, limit: options.perAddress },
  ];
  for (const { key, limit } of keys) {
    const counted = await eventsInWindow(db, key, limit, now);
    if (counted.count >= limit.max)
      throw new PlatformError('RATE_LIMITED', 'too many failed logins; try again later', counted.retryAfter);
  }
  const account = await accountByName(db, name);
  // The same work whether the account exists or not: the answer's time does not tell.
  const matches = await passwordMatches(password, account?.password_hash ?? DUMMY_HASH);
  if (!account || !matches) {
    for (const { key, limit } of keys) await countEvent(db, key, limit, now);
    throw new PlatformError('UNAUTHORIZED', 'wrong account name or password');
  }
  if (account.disabled === 1) throw new PlatformError('UNAUTHORIZED', `account ${name} is disabled`);
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = now + options.ttlMs;
  await db
    .insertInto('sessions')
    .values({ id: digest(token), account_id: account.id, csrf, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, csrf, expiresAt, principal: principalOf(account) };
}

/** The principal of a live session of an enabled account, with the session's CSRF token. */
export async function sessionOf(
  db: Executor,
  token: string,
  now: number,
): Promise<{ principal: Principal; csrf: string } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .selectAll('accounts')
    .select('sessions.csrf')
    .where('sessions.id', '=', digest(token))
    .where('sessions.expires_at', '>', now)
    .where('accounts.disabled', '=', 0)
    .executeTakeFirst();
  if (!row) return undefined;
  const { csrf, ...account } = row;
  return { principal: principalOf(account), csrf };
}

export async function logout(db: Executor, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', digest(token)).execute();
}

export async function pruneSessions(db: Executor, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

/** Constant-time comparison of the CSRF token a request gave with the session's. */
export function csrfMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(digest(given));
  const b = Buffer.from(digest(expected));
  return timingSafeEqual(a, b);
}
