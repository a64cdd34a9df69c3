/**
 * The production-equipment register (设备台账) of an enterprise, replaced whole: the register an
 * enterprise files is one document, and its previous version stays in the audit log.
 */
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { EquipmentTable } from '../db/schema.ts';
import { badRequest } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';
import type { RegisterEntry } from './schemas.ts';

/** Rows per INSERT: 6 columns each stays far below SQLite's bound-parameter limit. */
const CHUNK = 500;

const entryOf = (row: EquipmentTable): RegisterEntry => ({
  assetNo: row.asset_no,
  name: row.name,
  type: row.type,
  production: row.production === 1,
  status: row.status,
});

/** The register's entries; unscoped: call it after the scope check. */
export async function registerOf(db: Executor, enterpriseId: string): Promise<RegisterEntry[]> {
  const rows = await db
    .selectFrom('equipment')
    .selectAll()
    .where('enterprise_id', '=', enterpriseId)
    .orderBy('asset_no')
    .execute();
  return rows.map(entryOf);
}

export async function getRegister(
  db: Executor,
  principal: Principal,
  enterpriseId: string,
): Promise<RegisterEntry[]> {
  await enterpriseInScope(db, principal, enterpriseId);
  return registerOf(db, enterpriseId);
}

export async function replaceRegister(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  input: readonly RegisterEntry[],
  now = Date.now(),
): Promise<RegisterEntry[]> {
  const seen = new Set<string>();
  for (const [i, entry] of input.entries()) {
    if (seen.has(entry.assetNo))
      throw badRequest(`entries[${i}]: asset number ${entry.assetNo} appears twice in the register`);
    seen.add(entry.assetNo);
  }
  return db.transaction().execute(async (trx) => {
    await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'register.write');
    const before = await registerOf(trx, enterpriseId);
    await trx.deleteFrom('equipment').where('enterprise_id', '=', enterpriseId).execute();
    const rows = input.map((e) => ({
      enterprise_id: enterpriseId,
      asset_no: e.assetNo,
      name: e.name,
      type: e.type,
      production: e.production ? 1 : 0,
      status: e.status,
    }));
    for (let i = 0; i < rows.length; i += CHUNK)
      await trx
        .insertInto('equipment')
        .values(rows.slice(i, i + CHUNK))
        .execute();
    const after = await registerOf(trx, enterpriseId);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'register.replace',
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
