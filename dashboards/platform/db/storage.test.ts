// The storage layer on SQLite and on a real PostgreSQL: migrations applied once, a newer schema
// refused untouched, values that differ between the two (bigint, 0/1 flags, JSON text) read back
// alike, and the audit chain: appended in the change's transaction, verified, a tampered row found,
// and concurrent appends from separate connections still forming one chain.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { appendAudit, auditEntryHash, GENESIS_HASH, verifyAudit } from '../audit/log.ts';
import { eachDatabase } from '../testing.ts';
import { isUniqueViolation, openDatabase } from './connect.ts';
import { appliedMigrations, migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

const change = (n: number) => ({
  actor: 'account:admin',
  action: 'enterprise.update',
  entity: 'enterprise',
  entityId: `ent_${n}`,
  before: { name: `企业${n}`, batch: n },
  after: { name: `企业${n}`, batch: n + 1 },
});

eachDatabase((database) => {
  describe('migrations', () => {
    it('applies every migration once, and again finds nothing to do', async () => {
      const target = await database.target();
      const platform = openDatabase(target);
      try {
        expect(await migrate(platform)).toEqual({ applied: Object.keys(MIGRATIONS) });
        expect(await migrate(platform)).toEqual({ applied: [] });
        expect(await appliedMigrations(platform.db as never)).toEqual(['0001-platform', '0002-applications']);
      } finally {
        await platform.close();
      }
    });

    it('refuses a database written by a newer shugai and leaves it untouched', async () => {
      const platform = await database.open();
      const later = { ...MIGRATIONS, '0099-later': { up: async () => {} } };
      await migrate(platform, later);
      await expect(migrate(platform)).rejects.toMatchObject({
        code: 'SCHEMA_NEWER',
        message: expect.stringContaining('has schema migration 0099-later, which this shugai does not know'),
      });
      expect(await appliedMigrations(platform.db as never)).toEqual([
        '0001-platform',
        '0002-applications',
        '0099-later',
      ]);
    });

    it('reads back bigint milliseconds as numbers, flags as 0/1, JSON and decimals as exact text', async () => {
      const { db } = await database.open();
      const at = 1_767_225_600_123;
      await db
        .insertInto('enterprises')
        .values({
          id: 'ent_1',
          name: '永康杯业',
          uscc: '91330100716105852F',
          region: '330784',
          industry: '3382',
          scale: 'small',
          sme: 1,
          batch: null,
          created_at: at,
          updated_at: at,
        })
        .execute();
      expect(
        await db.selectFrom('enterprises').select(['created_at', 'sme', 'batch']).executeTakeFirst(),
      ).toEqual({
        created_at: at,
        sme: 1,
        batch: null,
      });
      const counted = await db
        .selectFrom('enterprises')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      expect(Number(counted?.n)).toBe(1);
    });
  });

  it('recognises a unique violation as such, on either database', async () => {
    const { db } = await database.open();
    const row = { key: 'k', window_start: 1, count: 1 };
    await db.insertInto('rate_limits').values(row).execute();
    const error = await db
      .insertInto('rate_limits')
      .values(row)
      .execute()
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  describe('audit chain', () => {
    it('chains entries by hash and verifies them', async () => {
      const { db } = await database.open();
      for (let n = 1; n <= 3; n++)
        await db.transaction().execute((trx) => appendAudit(trx, change(n), 1000 + n));
      const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(rows[0]?.prev).toBe(GENESIS_HASH);
      expect(rows[1]?.prev).toBe(rows[0]?.hash);
      expect(rows[0]?.before).toBe('{"name":"企业1","batch":1}');
      const { hash, ...content } = rows[2]!;
      expect(auditEntryHash(content)).toBe(hash);
      expect(await verifyAudit(db)).toEqual({ ok: true, entries: 3 });
    });

    it("writes nothing when the change's transaction rolls back", async () => {
      const { db } = await database.open();
      await expect(
        db.transaction().execute(async (trx) => {
          await appendAudit(trx, change(1));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await db.selectFrom('audit_log').selectAll().execute()).toEqual([]);
      expect(await verifyAudit(db)).toEqual({ ok: true, entries: 0 });
    });

    it('names the first entry whose content was changed, or removed, or whose tail was cut', async () => {
      const { db } = await database.open();
      for (let n = 1; n <= 5; n++) await db.transaction().execute((trx) => appendAudit(trx, change(n)));
      await db
        .updateTable('audit_log')
        .set({ after: '{"name":"企业3","batch":99}' })
        .where('seq', '=', 3)
        .execute();
      const tampered = await verifyAudit(db);
      expect(tampered.ok).toBe(false);
      expect(tampered.broken?.seq).toBe(3);
      expect(tampered.broken?.reason).toContain('it was changed after it was written');

      const other = (await database.open()).db;
      for (let n = 1; n <= 4; n++) await other.transaction().execute((trx) => appendAudit(trx, change(n)));
      await other.deleteFrom('audit_log').where('seq', '=', 2).execute();
      expect((await verifyAudit(other)).broken).toEqual({
        seq: 2,
        reason: 'entry 2 is missing (the next one held is 3)',
      });
      await other.deleteFrom('audit_log').where('seq', '>=', 2).execute();
      const cut = await verifyAudit(other);
      expect(cut.broken?.seq).toBe(2);
      expect(cut.broken?.reason).toContain('entries were removed');
    });

    // SQLite: one writer; within a process Kysely serialises transactions on its one connection (a
    // second connection in the same process would block the event loop while the first holds the lock).
    // PostgreSQL: two pools, as two `serve` processes would have.
    it('stays one chain when transactions append at the same time', async () => {
      const platform = await database.open();
      const second = database.dialect === 'postgres' ? openDatabase(platform.target) : platform;
      try {
        const appends = Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? second.db : platform.db).transaction().execute(async (trx) => {
            // A change first, as in a real write, then the audit entry.
            await sql`select 1`.execute(trx);
            return appendAudit(trx, change(i));
          }),
        );
        const seqs = await Promise.all(appends);
        expect(seqs.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(await verifyAudit(platform.db)).toEqual({ ok: true, entries: 40 });
      } finally {
        if (second !== platform) await second.close();
      }
    });
  });
});
