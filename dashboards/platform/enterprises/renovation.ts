/**
 * The renovation (数字化改造) of an enterprise: its contract, its service provider and the investment
 * items by category, amounts as exact decimal strings. Filed whole; the provider named here is what
 * puts the enterprise in that provider's scope, so only an officer or an admin may change who it is.
 */
import { Decimal } from 'decimal.js';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import { badRequest, forbidden, notFound } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';
import type { RenovationInput, RenovationView } from './schemas.ts';

/** The renovation on file, or null; unscoped: call it after the scope check. */
export async function renovationOf(db: Executor, enterpriseId: string): Promise<RenovationView | null> {
  const row = await db
    .selectFrom('renovations')
    .leftJoin('accounts', 'accounts.id', 'renovations.provider_id')
    .select([
      'renovations.contract_no',
      'renovations.contract_signed_on',
      'renovations.updated_at',
      'accounts.name as provider',
    ])
    .where('renovations.enterprise_id', '=', enterpriseId)
    .executeTakeFirst();
  if (!row) return null;
  const items = await db
    .selectFrom('investment_items')
    .select(['category', 'description', 'amount'])
    .where('enterprise_id', '=', enterpriseId)
    .orderBy('line')
    .execute();
  return {
    enterpriseId,
    contract: { number: row.contract_no, signedOn: row.contract_signed_on },
    provider: row.provider,
    items: items as RenovationView['items'],
    total: items.reduce((sum, i) => sum.plus(i.amount), new Decimal(0)).toFixed(2),
    updatedAt: row.updated_at,
  };
}

export async function getRenovation(
  db: Executor,
  principal: Principal,
  enterpriseId: string,
): Promise<RenovationView> {
  await enterpriseInScope(db, principal, enterpriseId);
  const found = await renovationOf(db, enterpriseId);
  if (!found) throw notFound(`the renovation of enterprise ${enterpriseId}`);
  return found;
}

export async function putRenovation(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  input: RenovationInput,
  now = Date.now(),
): Promise<RenovationView> {
  return db.transaction().execute(async (trx) => {
    await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'renovation.write');
    const before = await renovationOf(trx, enterpriseId);
    if (principal.role === 'provider' && input.provider !== principal.name)
      throw forbidden(
        'a service provider files the renovations it carries out, naming itself as the provider',
      );
    let providerId: string | null = null;
    if (input.provider !== null) {
      const provider = await trx
        .selectFrom('accounts')
        .select(['id', 'role'])
        .where('name', '=', input.provider)
        .executeTakeFirst();
      if (provider?.role !== 'provider')
        throw badRequest(`provider ${input.provider}: no service provider account of that name`);
      providerId = provider.id;
    }
    const values = {
      provider_id: providerId,
      contract_no: input.contract.number,
      contract_signed_on: input.contract.signedOn,
      updated_at: now,
    };
    await trx
      .insertInto('renovations')
      .values({ enterprise_id: enterpriseId, ...values })
      .onConflict((oc) => oc.column('enterprise_id').doUpdateSet(values))
      .execute();
    await trx.deleteFrom('investment_items').where('enterprise_id', '=', enterpriseId).execute();
    if (input.items.length > 0)
      await trx
        .insertInto('investment_items')
        .values(input.items.map((item, line) => ({ enterprise_id: enterpriseId, line, ...item })))
        .execute();
    const after = (await renovationOf(trx, enterpriseId)) as RenovationView;
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'renovation.put',
        entity: 'enterprise',
        entityId: enterpriseId,
        before,
        after,
      },
      now,
    );
    return after;
  });
}
