/**
 * Every migration, in order, in one explicit list: a name is applied once and never edited after a
 * release; a schema change is a new file here.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.ts';
import * as m0001 from './0001-platform.ts';
import * as m0002 from './0002-applications.ts';

export interface PlatformMigration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

export const MIGRATIONS: Readonly<Record<string, PlatformMigration>> = {
  '0001-platform': m0001,
  '0002-applications': m0002,
};
