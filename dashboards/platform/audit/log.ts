/**
 * The audit log: append-only and hash-chained. Each change writes its entry in the same transaction
 * as the change itself (who, when, what, the object before and after), so a change without its entry,
 * or an entry without its change, cannot be committed. Each entry's hash covers its content and the
 * previous entry's hash; the head row holds the last seq and hash, so a cut tail is found too.
 */
import { createHash } from 'node:crypto';
import type { Executor } from '../db/connect.ts';
import type { AuditLogTable } from '../db/schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditChange {
  /** Who: `account:<name>`, `cli:<os user>` or `system`. */
  actor: string;
  /** What was done, e.g. `enterprise.create`. */
  action: string;
  entity: string;
  entityId: string;
  /** The object before and after (null when created or removed); JSON-serialisable. */
  before: unknown;
  after: unknown;
}

const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

/** The hash of an entry as stored: every column but the hash itself, in a fixed order. */
export function auditEntryHash(row: Omit<AuditLogTable, 'hash'>): string {
  const content = [
    row.seq,
    row.at,
    row.actor,
    row.action,
    row.entity,
    row.entity_id,
    row.before,
    row.after,
    row.prev,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * Appends one entry; `trx` must be the transaction of the change. The head row is updated first: that
 * takes its lock (PostgreSQL re-reads it after a concurrent writer commits), so two processes extend
 * one chain in turn. Call it last in the transaction, after the change, so the lock is held briefly.
 */
export async function appendAudit(trx: Executor, change: AuditChange, at = Date.now()): Promise<number> {
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const row = {
    seq: head.seq,
    at,
    actor: change.actor,
    action: change.action,
    entity: change.entity,
    entity_id: change.entityId,
    before: json(change.before),
    after: json(change.after),
    prev: head.hash,
  };
  const hash = auditEntryHash(row);
  await trx
    .insertInto('audit_log')
    .values({ ...row, hash })
    .execute();
  await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
  return row.seq;
}

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  /** The first entry that breaks the chain, and why. */
  broken?: { seq: number; reason: string };
}

const PAGE = 1000;

/** Walks the whole chain in order and names the first entry that does not hold. */
export async function verifyAudit(db: Executor): Promise<AuditVerdict> {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const fail = (reason: string): AuditVerdict => ({
        ok: false,
        entries: expectedSeq - 1,
        broken: { seq: row.seq, reason },
      });
      if (row.seq !== expectedSeq)
        return {
          ok: false,
          entries: expectedSeq - 1,
          broken: {
            seq: expectedSeq,
            reason: `entry ${expectedSeq} is missing (the next one held is ${row.seq})`,
          },
        };
      if (row.prev !== prev)
        return fail(`its prev ${row.prev} is not the hash of entry ${row.seq - 1} (${prev})`);
      const { hash, ...content } = row;
      const actual = auditEntryHash(content);
      if (actual !== hash)
        return fail(
          `its content hashes to ${actual}, the entry says ${hash}: it was changed after it was written`,
        );
      prev = hash;
      expectedSeq++;
    }
    if (rows.length < PAGE) break;
  }
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  const last = expectedSeq - 1;
  if (!head)
    return { ok: false, entries: last, broken: { seq: last + 1, reason: 'the head row is missing' } };
  if (head.seq !== last || head.hash !== prev)
    return {
      ok: false,
      entries: last,
      broken: {
        seq: last + 1,
        reason: `the head says ${head.seq} entries ending in ${head.hash}, the log holds ${last} ending in ${prev}: entries were removed`,
      },
    };
  return { ok: true, entries: last };
}
