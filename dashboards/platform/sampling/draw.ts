/**
 * On-site sampling (现场抽查): N enterprises of a batch drawn with a seed that is recorded, so anyone
 * can draw again and get the same list. The algorithm, simple enough for a spreadsheet:
 *
 *   1. the candidates are the enterprises of the batch in the officer's region, by their unified
 *      social credit code (统一社会信用代码);
 *   2. each gets the key HMAC-SHA256(key = the seed as UTF-8, message = its code as UTF-8), in hex;
 *   3. sorted by key (ascending; hex strings compare as the numbers they spell), the first N are drawn.
 *
 * The seed is the officer's (e.g. the closing figures of a public lottery drawn after the batch
 * closed) or 32 random hex digits. A candidate's place depends only on the seed and its own code, not
 * on which others are in the list, so adding an enterprise to the batch cannot reshuffle the rest.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { SamplingDrawTable } from '../db/schema.ts';
import { badRequest, notFound } from '../errors.ts';
import { enterpriseScope } from '../scope.ts';

export const drawKey = (seed: string, uscc: string) => createHmac('sha256', seed).update(uscc).digest('hex');

/** The candidates ordered by their key, and the first `size` of them. */
export function drawOrder(seed: string, candidates: readonly string[], size: number) {
  const ordered = [...candidates]
    .map((uscc) => ({ uscc, key: drawKey(seed, uscc) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ordered, picked: ordered.slice(0, size).map((c) => c.uscc) };
}

export interface DrawView {
  id: string;
  batch: number;
  region: string;
  seed: string;
  size: number;
  /** Every candidate with its key, in the draw's order. */
  candidates: { uscc: string; key: string; name: string }[];
  picked: { uscc: string; name: string; enterpriseId: string }[];
  drawnBy: string;
  drawnAt: number;
}

async function namesOf(db: Executor, usccs: readonly string[]) {
  if (usccs.length === 0) return new Map<string, { id: string; name: string }>();
  const rows = await db
    .selectFrom('enterprises')
    .select(['id', 'name', 'uscc'])
    .where('uscc', 'in', usccs)
    .execute();
  return new Map(rows.map((r) => [r.uscc, { id: r.id, name: r.name }]));
}

async function view(db: Executor, row: SamplingDrawTable): Promise<DrawView> {
  const candidates = JSON.parse(row.candidates) as { uscc: string; key: string }[];
  const picked = JSON.parse(row.picked) as string[];
  const names = await namesOf(
    db,
    candidates.map((c) => c.uscc),
  );
  return {
    id: row.id,
    batch: row.batch,
    region: row.region,
    seed: row.seed,
    size: row.size,
    candidates: candidates.map((c) => ({ ...c, name: names.get(c.uscc)?.name ?? '' })),
    picked: picked.map((uscc) => ({
      uscc,
      name: names.get(uscc)?.name ?? '',
      enterpriseId: names.get(uscc)?.id ?? '',
    })),
    drawnBy: row.drawn_by,
    drawnAt: row.drawn_at,
  };
}

export async function drawSample(
  db: Db,
  principal: Principal,
  input: { batch: number; size: number; seed?: string | undefined },
  now = Date.now(),
): Promise<DrawView> {
  requireGrant(principal, 'sampling.draw');
  const seed = input.seed ?? randomBytes(16).toString('hex');
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('enterprises')
      .select('uscc')
      .where(enterpriseScope(principal))
      .where('batch', '=', input.batch)
      .orderBy('uscc')
      .execute();
    if (rows.length === 0)
      throw badRequest(`batch ${input.batch} has no enterprise in region ${principal.region}`);
    if (input.size > rows.length)
      throw badRequest(`cannot draw ${input.size} of the ${rows.length} enterprises of batch ${input.batch}`);
    const { ordered, picked } = drawOrder(
      seed,
      rows.map((r) => r.uscc),
      input.size,
    );
    const row: SamplingDrawTable = {
      id: `draw_${randomBytes(8).toString('hex')}`,
      batch: input.batch,
      region: principal.region ?? '',
      seed,
      size: input.size,
      candidates: JSON.stringify(ordered),
      picked: JSON.stringify(picked),
      drawn_by: principal.name,
      drawn_at: now,
    };
    await trx.insertInto('sampling_draws').values(row).execute();
    const after = await view(trx, row);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'sampling.draw',
        entity: 'sampling',
        entityId: row.id,
        before: null,
        after: { batch: row.batch, region: row.region, seed, size: row.size, picked },
      },
      now,
    );
    return after;
  });
}

/** Draws made for the principal's region (an officer sees the draws of regions within its own). */
export async function listDraws(db: Executor, principal: Principal): Promise<DrawView[]> {
  requireGrant(principal, 'sampling.draw');
  const rows = await db
    .selectFrom('sampling_draws')
    .selectAll()
    .where('region', 'like', `${principal.region ?? 'none'}%`)
    .orderBy('drawn_at')
    .orderBy('id')
    .execute();
  return Promise.all(rows.map((r) => view(db, r)));
}

export async function getDraw(db: Executor, principal: Principal, id: string): Promise<DrawView> {
  requireGrant(principal, 'sampling.draw');
  const row = await db
    .selectFrom('sampling_draws')
    .selectAll()
    .where('id', '=', id)
    .where('region', 'like', `${principal.region ?? 'none'}%`)
    .executeTakeFirst();
  if (!row) throw notFound(`sampling draw ${id}`);
  return view(db, row);
}
