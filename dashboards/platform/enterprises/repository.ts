/**
 * Enterprises: the head of the enterprise file. Every call takes the principal first; reads see only
 * the enterprises in its scope; changes need the role's grant and are audited in their transaction.
 */
import { randomBytes } from 'node:crypto';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { EnterpriseTable } from '../db/schema.ts';
import { forbidden, PlatformError } from '../errors.ts';
import { enterpriseInScope, enterpriseScope } from '../scope.ts';
import { industryCodeProblem } from './industry.ts';
import { regionCovers, regionProblem } from './regions.ts';
import type { EnterpriseInput, EnterpriseView } from './schemas.ts';
import { usccProblem } from './uscc.ts';

export const enterpriseView = (row: EnterpriseTable): EnterpriseView => ({
  id: row.id,
  name: row.name,
  uscc: row.uscc,
  region: row.region,
  industry: row.industry,
  scale: row.scale as EnterpriseView['scale'],
  sme: row.sme === 1,
  batch: row.batch,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The codes' checks, each with its own error code; an officer only files enterprises of its region. */
function checkInput(principal: Principal, input: EnterpriseInput): void {
  const uscc = usccProblem(input.uscc);
  if (uscc) throw new PlatformError('BAD_USCC', `uscc ${input.uscc}: ${uscc}`);
  const region = regionProblem(input.region);
  if (region) throw new PlatformError('BAD_REGION', region);
  const industry = industryCodeProblem(input.industry);
  if (industry) throw new PlatformError('BAD_INDUSTRY', industry);
  if (principal.role === 'officer' && !regionCovers(principal.region ?? '', input.region))
    throw forbidden(`region ${input.region} is outside this officer's region ${principal.region}`);
}

export async function listEnterprises(db: Executor, principal: Principal): Promise<EnterpriseView[]> {
  const rows = await db
    .selectFrom('enterprises')
    .selectAll()
    .where(enterpriseScope(principal))
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(enterpriseView);
}

export async function getEnterprise(db: Executor, principal: Principal, id: string): Promise<EnterpriseView> {
  return enterpriseView(await enterpriseInScope(db, principal, id));
}

const usccTaken = (uscc: string) =>
  new PlatformError('CONFLICT', `an enterprise with uscc ${uscc} is already on file`);

export async function createEnterprise(
  db: Db,
  principal: Principal,
  input: EnterpriseInput,
  now = Date.now(),
): Promise<EnterpriseView> {
  requireGrant(principal, 'enterprise.create');
  checkInput(principal, input);
  return db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('enterprises').select('id').where('uscc', '=', input.uscc).executeTakeFirst())
      throw usccTaken(input.uscc);
    const row: EnterpriseTable = {
      id: `ent_${randomBytes(8).toString('hex')}`,
      ...toColumns(input),
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('enterprises').values(row).execute();
    const after = enterpriseView(row);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'enterprise.create',
        entity: 'enterprise',
        entityId: row.id,
        before: null,
        after,
      },
      now,
    );
    return after;
  });
}

export async function updateEnterprise(
  db: Db,
  principal: Principal,
  id: string,
  input: EnterpriseInput,
  now = Date.now(),
): Promise<EnterpriseView> {
  return db.transaction().execute(async (trx) => {
    const current = await enterpriseInScope(trx, principal, id);
    requireGrant(principal, 'enterprise.update');
    checkInput(principal, input);
    if (input.uscc !== current.uscc) {
      const other = await trx
        .selectFrom('enterprises')
        .select('id')
        .where('uscc', '=', input.uscc)
        .executeTakeFirst();
      if (other) throw usccTaken(input.uscc);
    }
    const row: EnterpriseTable = { ...current, ...toColumns(input), updated_at: now };
    await trx.updateTable('enterprises').set(row).where('id', '=', id).execute();
    const before = enterpriseView(current);
    const after = enterpriseView(row);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'enterprise.update',
        entity: 'enterprise',
        entityId: id,
        before,
        after,
      },
      now,
    );
    return after;
  });
}

const toColumns = (input: EnterpriseInput) => ({
  name: input.name,
  uscc: input.uscc,
  region: input.region,
  industry: input.industry,
  scale: input.scale,
  sme: input.sme ? 1 : 0,
  batch: input.batch,
});
