/**
 * Accounts: created and disabled by an admin (or an operator with `shugai accounts`), each change
 * audited. Passwords are kept as scrypt hashes and never leave this file: views carry no hash.
 */
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { AccountTable } from '../db/schema.ts';
import { regionPrefixProblem } from '../enterprises/regions.ts';
import { badRequest, notFound, PlatformError } from '../errors.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { type Principal, ROLES, type Role } from './roles.ts';

export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export interface AccountInput {
  name: string;
  role: Role;
  displayName: string;
  password: string;
  region?: string | undefined;
  enterpriseId?: string | undefined;
}

export interface AccountView {
  id: string;
  name: string;
  role: Role;
  displayName: string;
  region: string | null;
  enterpriseId: string | null;
  disabled: boolean;
  createdAt: number;
}

export const accountView = (row: AccountTable): AccountView => ({
  id: row.id,
  name: row.name,
  role: row.role as Role,
  displayName: row.display_name,
  region: row.region,
  enterpriseId: row.enterprise_id,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
});

export const principalOf = (row: AccountTable): Principal => {
  const { id, name, role, region, enterpriseId } = accountView(row);
  return { id, name, role, region, enterpriseId };
};

/** Checks an account's fields; the enterprise of an enterprise account must exist. */
async function checkInput(db: Executor, input: AccountInput): Promise<void> {
  if (!ACCOUNT_NAME.test(input.name))
    throw badRequest(
      `account name "${input.name}": 3–64 characters, lowercase letters, digits, . _ - (not first)`,
    );
  if (!ROLES.includes(input.role)) throw badRequest(`role "${input.role}": one of ${ROLES.join(', ')}`);
  if (input.password.length < MIN_PASSWORD_LENGTH)
    throw badRequest(
      `the password has ${input.password.length} characters; at least ${MIN_PASSWORD_LENGTH} are required`,
    );
  if (input.role === 'officer') {
    const problem =
      input.region === undefined ? 'an officer account names its region' : regionPrefixProblem(input.region);
    if (problem) throw new PlatformError('BAD_REGION', problem);
  } else if (input.region !== undefined)
    throw badRequest(`only officer accounts have a region (this is ${input.role})`);
  if (input.role === 'enterprise') {
    if (input.enterpriseId === undefined) throw badRequest('an enterprise account names its enterprise');
    const found = await db
      .selectFrom('enterprises')
      .select('id')
      .where('id', '=', input.enterpriseId)
      .executeTakeFirst();
    if (!found) throw notFound(`enterprise ${input.enterpriseId}`);
  } else if (input.enterpriseId !== undefined)
    throw badRequest(`only enterprise accounts name an enterprise (this is ${input.role})`);
}

export async function createAccount(
  db: Db,
  actor: string,
  input: AccountInput,
  now = Date.now(),
): Promise<AccountView> {
  await checkInput(db, input);
  const row: AccountTable = {
    id: `acc_${randomBytes(8).toString('hex')}`,
    name: input.name,
    role: input.role,
    region: input.region ?? null,
    enterprise_id: input.enterpriseId ?? null,
    display_name: input.displayName,
    password_hash: await hashPassword(input.password),
    disabled: 0,
    created_at: now,
  };
  return db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('accounts')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (taken) throw new PlatformError('CONFLICT', `account name "${input.name}" is taken`);
    await trx.insertInto('accounts').values(row).execute();
    const view = accountView(row);
    await appendAudit(
      trx,
      { actor, action: 'account.create', entity: 'account', entityId: row.id, before: null, after: view },
      now,
    );
    return view;
  });
}

export async function listAccounts(db: Executor): Promise<AccountView[]> {
  return (await db.selectFrom('accounts').selectAll().orderBy('name').execute()).map(accountView);
}

export async function accountByName(db: Executor, name: string): Promise<AccountTable | undefined> {
  return db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Disables (or enables again) an account; disabling ends its sessions and revokes its tokens. */
export async function setDisabled(
  db: Db,
  actor: string,
  name: string,
  disabled: boolean,
  now = Date.now(),
): Promise<AccountView> {
  return db.transaction().execute(async (trx) => {
    const row = await accountByName(trx, name);
    if (!row) throw notFound(`account ${name}`);
    const before = accountView(row);
    await trx
      .updateTable('accounts')
      .set({ disabled: disabled ? 1 : 0 })
      .where('id', '=', row.id)
      .execute();
    if (disabled) {
      await trx.deleteFrom('sessions').where('account_id', '=', row.id).execute();
      await trx
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('account_id', '=', row.id)
        .where('revoked_at', 'is', null)
        .execute();
    }
    const after = { ...before, disabled };
    await appendAudit(
      trx,
      {
        actor,
        action: disabled ? 'account.disable' : 'account.enable',
        entity: 'account',
        entityId: row.id,
        before,
        after,
      },
      now,
    );
    return after;
  });
}
