/**
 * The gateway registry, part of the enterprise file: a gateway belongs to one enterprise and is
 * known by its Ed25519 public key. Registering the same key again changes nothing; another key for a
 * registered id is refused (a key is never replaced silently); each registration is audited.
 */

import { fingerprint } from '../../../gateway/attest/identity.ts';
import { CentralError } from '../../central/errors.ts';
import { checkGatewayId, parseEd25519 } from '../../central/keys.ts';
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db, Executor } from '../db/connect.ts';
import type { GatewayTable } from '../db/schema.ts';
import { PlatformError } from '../errors.ts';
import { enterpriseInScope } from '../scope.ts';
import type { GatewayStoreInput, GatewayView } from './schemas.ts';

const gatewayView = (row: GatewayTable): GatewayView => ({
  id: row.id,
  enterpriseId: row.enterprise_id,
  fingerprint: row.fingerprint,
  publicKey: row.public_key,
  registeredAt: row.registered_at,
  registeredBy: row.registered_by,
  store: row.store,
  config: row.config,
});

export async function listGateways(
  db: Executor,
  principal: Principal,
  enterpriseId: string,
): Promise<GatewayView[]> {
  await enterpriseInScope(db, principal, enterpriseId);
  const rows = await db
    .selectFrom('gateways')
    .selectAll()
    .where('enterprise_id', '=', enterpriseId)
    .orderBy('id')
    .execute();
  return rows.map(gatewayView);
}

export async function registerGateway(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  input: { id: string; publicKey: string },
  now = Date.now(),
): Promise<{ gateway: GatewayView; created: boolean }> {
  checkGatewayId(input.id);
  const key = parseEd25519(input.publicKey);
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  const print = fingerprint(key);
  return db.transaction().execute(async (trx) => {
    await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'gateway.register');
    const existing = await trx
      .selectFrom('gateways')
      .selectAll()
      .where('id', '=', input.id)
      .executeTakeFirst();
    if (existing) {
      if (existing.fingerprint !== print)
        throw new CentralError(
          'KEY_CONFLICT',
          `gateway ${input.id} is already registered with another key (${existing.fingerprint}); a key is never replaced silently`,
        );
      if (existing.enterprise_id !== enterpriseId)
        throw new PlatformError('CONFLICT', `gateway ${input.id} is registered to another enterprise`);
      return { gateway: gatewayView(existing), created: false };
    }
    const row: GatewayTable = {
      id: input.id,
      enterprise_id: enterpriseId,
      public_key: pem,
      fingerprint: print,
      registered_at: now,
      registered_by: principal.name,
      store: null,
      config: null,
    };
    await trx.insertInto('gateways').values(row).execute();
    const after = gatewayView(row);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'gateway.register',
        entity: 'gateway',
        entityId: row.id,
        before: null,
        after,
      },
      now,
    );
    return { gateway: after, created: true };
  });
}

/** Records where a gateway of the enterprise stores its data, and its config (audited). */
export async function setGatewayStore(
  db: Db,
  principal: Principal,
  enterpriseId: string,
  gatewayId: string,
  input: GatewayStoreInput,
  now = Date.now(),
): Promise<GatewayView> {
  return db.transaction().execute(async (trx) => {
    await enterpriseInScope(trx, principal, enterpriseId);
    requireGrant(principal, 'gateway.store');
    const existing = await trx
      .selectFrom('gateways')
      .selectAll()
      .where('id', '=', gatewayId)
      .where('enterprise_id', '=', enterpriseId)
      .executeTakeFirst();
    if (!existing)
      throw new PlatformError('NOT_FOUND', `gateway ${gatewayId} of enterprise ${enterpriseId} not found`);
    const row: GatewayTable = { ...existing, store: input.store, config: input.config ?? null };
    await trx
      .updateTable('gateways')
      .set({ store: row.store, config: row.config })
      .where('id', '=', gatewayId)
      .execute();
    const after = gatewayView(row);
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: 'gateway.store',
        entity: 'gateway',
        entityId: gatewayId,
        before: gatewayView(existing),
        after,
      },
      now,
    );
    return after;
  });
}
