/**
 * API tokens for machine clients (`Authorization: Bearer shugai_<id>_<secret>`): made by an account
 * for itself, shown once, kept as the secret's sha256, revocable. A token acts as its account.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../db/connect.ts';
import { notFound } from '../errors.ts';
import { principalOf } from './repository.ts';
import type { Principal } from './roles.ts';

const FORMAT = /^shugai_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const digest = (secret: string) => createHash('sha256').update(secret).digest();

export interface TokenView {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export async function createToken(
  db: Executor,
  principal: Principal,
  name: string,
  now: number,
): Promise<TokenView & { token: string }> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await db
    .insertInto('api_tokens')
    .values({
      id,
      account_id: principal.id,
      name,
      secret_hash: digest(secret).toString('hex'),
      created_at: now,
      revoked_at: null,
    })
    .execute();
  return { id, name, createdAt: now, revokedAt: null, token: `shugai_${id}_${secret}` };
}

export async function listTokens(db: Executor, principal: Principal): Promise<TokenView[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('account_id', '=', principal.id)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

export async function revokeToken(
  db: Executor,
  principal: Principal,
  id: string,
  now: number,
): Promise<void> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('account_id', '=', principal.id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw notFound(`token ${id}`);
}

/** The principal a bearer token stands for, if it is a live token of an enabled account. */
export async function tokenPrincipal(db: Executor, bearer: string): Promise<Principal | undefined> {
  const match = FORMAT.exec(bearer);
  if (!match) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
    .selectAll('accounts')
    .select('api_tokens.secret_hash')
    .where('api_tokens.id', '=', match[1] as string)
    .where('api_tokens.revoked_at', 'is', null)
    .where('accounts.disabled', '=', 0)
    .executeTakeFirst();
  if (!row) return undefined;
  const { secret_hash, ...account } = row;
  if (!timingSafeEqual(digest(match[2] as string), Buffer.from(secret_hash, 'hex'))) return undefined;
  return principalOf(account);
}
