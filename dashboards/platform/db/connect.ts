/**
 * Opens the platform's database: a SQLite file (better-sqlite3, nothing to install) or PostgreSQL
 * (`postgres://…`), behind one Kysely instance, so every query is written once for both.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Schema } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';
export type Db = Kysely<Schema>;
/** A query runner: the database, or a transaction a write joins. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export interface PlatformDb {
  db: Db;
  dialect: DialectName;
  /** The file or the URL without its password, for logs. */
  location: string;
  close(): Promise<void>;
}

const isPostgresUrl = (target: string) => /^postgres(ql)?:\/\//.test(target);

/**
 * SQLite's default `BEGIN` takes the write lock only at the first write, so a transaction that reads
 * the audit chain's head and then writes could fail half-way when another process wrote meanwhile.
 * `BEGIN IMMEDIATE` takes it up front; busy_timeout makes the other writer wait instead of failing.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: Database.Database) {
    super({ database });
  }
  override createDriver() {
    return new ImmediateSqliteDriver({ database: this.database });
  }
}

/** int8 (bigint) comes back from pg as a string; our counts and milliseconds fit a double exactly. */
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20)
      return (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new Error(`bigint ${text} is beyond 2^53`);
        return n;
      };
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function openDatabase(target: string): PlatformDb {
  if (isPostgresUrl(target)) {
    const pool = new pg.Pool({ connectionString: target, max: 10, types: pgTypes });
    const url = new URL(target);
    if (url.password) url.password = '***';
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', location: url.toString(), close: () => db.destroy() };
  }
  if (target !== ':memory:') mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const sqlite = new Database(target);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a 200 means the change survives a power cut (the gateway frees attestations after it).
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect(sqlite) });
  return { db, dialect: 'sqlite', location: target, close: () => db.destroy() };
}

/**
 * A unique or primary-key violation, on either database: what a change that raced another one for the
 * same key gets (both read "free", one commits first). Answered 409, to be tried again.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
