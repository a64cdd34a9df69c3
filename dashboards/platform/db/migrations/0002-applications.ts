/**
 * Applications and what follows them: where each gateway's store is (and its config, for the machine
 * evidence), applications under a policy measure, their verifications, the two-step decisions and
 * the on-site sampling draws.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.ts';

export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  const bigint = 'bigint';
  const text = 'text';

  // The store the gateway writes to (an embedded file, an InfluxDB 1.x or VictoriaMetrics URL) and
  // its config's YAML text: the verifier reads the one, the evidence needs the other.
  await db.schema.alterTable('gateways').addColumn('store', text).execute();
  await db.schema.alterTable('gateways').addColumn('config', text).execute();

  await db.schema
    .createTable('applications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('enterprise_id', text, (c) => c.notNull().references('enterprises.id'))
    .addColumn('measure', text, (c) => c.notNull())
    .addColumn('assessment_before', text, (c) => c.notNull())
    .addColumn('assessment_after', text, (c) => c.notNull())
    /** JSON of the facts the file does not hold: {aboveScale?, recognition?}. */
    .addColumn('declared', text, (c) => c.notNull())
    /** The enterprise's batch when it applied: the export and the sampling select by it. */
    .addColumn('batch', 'integer')
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('submitted_by', text, (c) => c.notNull())
    .addColumn('submitted_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('applications_enterprise').on('applications').column('enterprise_id').execute();
  await db.schema.createIndex('applications_batch').on('applications').columns(['batch', 'state']).execute();

  await db.schema
    .createTable('verifications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('application_id', text, (c) => c.notNull().references('applications.id'))
    .addColumn('at', bigint, (c) => c.notNull())
    .addColumn('by', text, (c) => c.notNull())
    .addColumn('clean', 'integer', (c) => c.notNull())
    .addColumn('eligible', 'integer', (c) => c.notNull())
    /** Yuan, exact, "0.00" when not eligible or not computed. */
    .addColumn('amount', text, (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('verifications_application')
    .on('verifications')
    .columns(['application_id', 'at'])
    .execute();

  await db.schema
    .createTable('decisions')
    .addColumn('application_id', text, (c) => c.notNull().references('applications.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('step', text, (c) => c.notNull())
    .addColumn('outcome', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('officer_id', text, (c) => c.notNull().references('accounts.id'))
    .addColumn('verification_id', text, (c) => c.notNull().references('verifications.id'))
    .addColumn('at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('decisions_pk', ['application_id', 'seq'])
    .execute();

  await db.schema
    .createTable('sampling_draws')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('batch', 'integer', (c) => c.notNull())
    .addColumn('region', text, (c) => c.notNull())
    .addColumn('seed', text, (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    /** JSON: the candidates' codes in the draw's order, and those picked. */
    .addColumn('candidates', text, (c) => c.notNull())
    .addColumn('picked', text, (c) => c.notNull())
    .addColumn('drawn_by', text, (c) => c.notNull())
    .addColumn('drawn_at', bigint, (c) => c.notNull())
    .execute();
}
