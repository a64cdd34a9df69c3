/**
 * The scope of what a principal sees, applied in the data layer: every repository call takes the
 * principal first and filters enterprises with `enterpriseScope`, so a handler cannot forget it.
 * admin: every enterprise; officer: those whose region starts with its prefix; enterprise: its own;
 * provider: those whose renovation names it; assessor: those assigned to it.
 * An enterprise out of scope is answered as not found: its existence is not revealed.
 */
import type { ExpressionBuilder } from 'kysely';
import type { Principal } from './accounts/roles.ts';
import type { Executor } from './db/connect.ts';
import type { EnterpriseTable, Schema } from './db/schema.ts';
import { notFound } from './errors.ts';

export function enterpriseScope(principal: Principal) {
  return (eb: ExpressionBuilder<Schema, 'enterprises'>) => {
    switch (principal.role) {
      case 'admin':
        return eb('enterprises.id', 'is not', null);
      case 'officer':
        // The prefix is digits only (checked when the account was made): no LIKE wildcard gets in.
        return eb('enterprises.region', 'like', `${principal.region ?? 'none'}%`);
      case 'enterprise':
        return eb('enterprises.id', '=', principal.enterpriseId ?? '');
      case 'provider':
        return eb(
          'enterprises.id',
          'in',
          eb
            .selectFrom('renovations')
            .select('renovations.enterprise_id')
            .where('renovations.provider_id', '=', principal.id),
        );
      case 'assessor':
        return eb(
          'enterprises.id',
          'in',
          eb
            .selectFrom('assessor_assignments')
            .select('assessor_assignments.enterprise_id')
            .where('assessor_assignments.assessor_id', '=', principal.id),
        );
    }
  };
}

/** The enterprise if the principal sees it; NOT_FOUND otherwise (also when it does not exist). */
export async function enterpriseInScope(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<EnterpriseTable> {
  const row = await db
    .selectFrom('enterprises')
    .selectAll()
    .where('id', '=', id)
    .where(enterpriseScope(principal))
    .executeTakeFirst();
  if (!row) throw notFound(`enterprise ${id}`);
  return row;
}
