/**
 * The first schema: accounts and sessions, the audit chain, the enterprise file, the gateway registry
 * and its attestations (the central service's tables), assessment records and their attachments.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../connect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const bigint = 'bigint';
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const text = 'text';

  await db.schema
    .createTable('enterprises')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('uscc', text, (c) => c.notNull().unique())
    .addColumn('region', text, (c) => c.notNull())
    .addColumn('industry', text, (c) => c.notNull())
    .addColumn('scale', text, (c) => c.notNull())
    .addColumn('sme', 'integer', (c) => c.notNull())
    .addColumn('batch', 'integer')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('enterprises_region').on('enterprises').column('region').execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull().unique())
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('region', text)
    .addColumn('enterprise_id', text, (c) => c.references('enterprises.id'))
    .addColumn('display_name', text, (c) => c.notNull())
    .addColumn('password_hash', text, (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('account_id', text, (c) => c.notNull().references('accounts.id'))
    .addColumn('csrf', text, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('account_id', text, (c) => c.notNull().references('accounts.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('secret_hash', text, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('revoked_at', bigint)
    .execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', text, (c) => c.primaryKey())
    .addColumn('window_start', bigint, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();

  // One row: the last entry's seq and hash. Every append updates it first, which locks it (a row lock
  // in PostgreSQL, the write lock in SQLite), so concurrent writers extend one chain in turn.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull())
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', bigint, (c) => c.primaryKey())
    .addColumn('at', bigint, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('entity', text, (c) => c.notNull())
    .addColumn('entity_id', text, (c) => c.notNull())
    .addColumn('before', text)
    .addColumn('after', text)
    .addColumn('prev', text, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('equipment')
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('asset_no', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('production', 'integer', (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('equipment_pk', ['enterprise_id', 'asset_no'])
    .execute();

  await db.schema
    .createTable('gateways')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('public_key', text, (c) => c.notNull())
    .addColumn('fingerprint', text, (c) => c.notNull())
    .addColumn('registered_at', bigint, (c) => c.notNull())
    .addColumn('registered_by', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('attestations')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('gateway', text, (c) => c.notNull().references('gateways.id'))
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull())
    .addColumn('stamp', bigint, (c) => c.notNull())
    .addColumn('time', bigint, (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('received', bigint, (c) => c.notNull())
    .addColumn('fork', 'integer', (c) => c.notNull())
    .addUniqueConstraint('attestations_unique', ['gateway', 'seq', 'hash'])
    .execute();
  // The chain itself: one attestation per seq; a second one with the same seq is a fork record.
  await db.schema
    .createIndex('attestations_chain')
    .on('attestations')
    .columns(['gateway', 'seq'])
    .unique()
    .where(sql.ref('fork'), '=', 0)
    .execute();
  await db.schema
    .createIndex('attestations_by_stamp')
    .on('attestations')
    .columns(['gateway', 'stamp', 'id'])
    .execute();
  await db.schema
    .createIndex('attestations_forks')
    .on('attestations')
    .columns(['gateway', 'seq'])
    .where(sql.ref('fork'), '=', 1)
    .execute();

  await db.schema
    .createTable('renovations')
    .addColumn('enterprise_id', text, (c) => c.primaryKey().references('enterprises.id'))
    .addColumn('provider_id', text, (c) => c.references('accounts.id'))
    .addColumn('contract_no', text, (c) => c.notNull())
    .addColumn('contract_signed_on', text, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('renovations_provider').on('renovations').column('provider_id').execute();

  await db.schema
    .createTable('investment_items')
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('category', text, (c) => c.notNull())
    .addColumn('description', text, (c) => c.notNull())
    .addColumn('amount', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('investment_items_pk', ['enterprise_id', 'line'])
    .execute();

  await db.schema
    .createTable('assessor_assignments')
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('assessor_id', text, (c) => c.notNull().references('accounts.id'))
    .addColumn('assigned_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('assessor_assignments_pk', ['enterprise_id', 'assessor_id'])
    .execute();

  await db.schema
    .createTable('assessment_records')
    .addColumn('assessment_id', text, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('stage', text, (c) => c.notNull())
    .addColumn('validated', 'integer', (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('assessment_records_pk', ['assessment_id', 'version'])
    .execute();
  await db.schema
    .createIndex('assessment_records_enterprise')
    .on('assessment_records')
    .column('enterprise_id')
    .execute();

  await db.schema
    .createTable('attachments')
    .addColumn('sha256', text, (c) => c.primaryKey())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('media_type', text, (c) => c.notNull())
    .addColumn('content', blob, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
}
