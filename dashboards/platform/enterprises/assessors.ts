/** Assessors assigned to an enterprise (by an officer of its region): what puts it in an assessor's scope. */
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import { badRequest } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';

export async function listAssessors(
  db: Executor,
  principal: Principal,
  enterpriseId: string,
): Promise<string[]> {
  await enterpriseInScope(db, principal, enterpriseId);
  const rows = await db
    .selectFrom('assessor_assignments')
    .innerJoin('accounts', 'accounts.id', 'assessor_assignments.assessor_id')
    .select('accounts.name')
    .where('assessor_assignments.enterprise_id', '=', enterpriseId)
    .orderBy('accounts.name')
    .execute();
  return rows.map((r) => r.name);
}

export async function assignAssessor(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  assessor: string,
  now = Date.now(),
): Promise<string[]> {
  await db.transaction().execute(async (trx) => {
    await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'assessor.assign');
    const account = await trx
      .selectFrom('accounts')
      .select(['id', 'role'])
      .where('name', '=', assessor)
      .executeTakeFirst();
    if (account?.role !== 'assessor')
      throw badRequest(`assessor ${assessor}: no assessor account of that name`);
    const held = await trx
      .selectFrom('assessor_assignments')
      .select('assessor_id')
      .where('enterprise_id', '=', enterpriseId)
      .where('assessor_id', '=', account.id)
      .executeTakeFirst();
    if (held) return;
    await trx
      .insertInto('assessor_assignments')
      .values({ enterprise_id: enterpriseId, assessor_id: account.id, assigned_at: now })
      .execute();
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'assessor.assign',
        entity: 'enterprise',
        entityId: enterpriseId,
        before: null,
        after: { assessor },
      },
      now,
    );
  });
  return listAssessors(db, principal, enterpriseId);
}
