/**
 * Brings the database to this shugai's schema on start: the migrations not yet applied run in order
 * (Kysely's migrator, which locks against a second process starting at the same time). A database
 * written by a newer shugai, one holding a migration this one does not know, is refused untouched.
 */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { PlatformError } from '../errors.ts';
import type { PlatformDb } from './connect.ts';
import { MIGRATIONS, type PlatformMigration } from './migrations/index.ts';

const TABLE = 'kysely_migration';

/** Names of the migrations recorded in the database (none for a new database). */
export async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === TABLE)) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(TABLE)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

export async function migrate(
  platform: PlatformDb,
  migrations: Readonly<Record<string, PlatformMigration>> = MIGRATIONS,
): Promise<{ applied: string[] }> {
  const db = platform.db as unknown as Kysely<unknown>;
  const unknown = (await appliedMigrations(db)).filter((name) => !(name in migrations));
  if (unknown.length > 0)
    throw new PlatformError(
      'SCHEMA_NEWER',
      `${platform.location} has schema migration ${unknown.join(', ')}, which this shugai does not know: it was written by a newer shugai; run that version (this one knows up to ${Object.keys(migrations).at(-1)})`,
    );
  const provider = {
    getMigrations: async () =>
      Object.fromEntries(
        Object.entries(migrations).map(([name, m]): [string, Migration] => [
          name,
          { up: (trx) => m.up(trx, platform.dialect) },
        ]),
      ),
  };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
