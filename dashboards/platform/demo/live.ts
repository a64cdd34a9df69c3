/**
 * The demo's live gateway in the platform (`shugai demo`): its key registered in the 永康 plant's file,
 * where it stores and its config recorded (as `PUT …/gateways/:gateway/store` records them), and the
 * plant's application verified from what the gateway wrote once its attestations reached the service.
 */

import { accountByName, principalOf } from '../accounts/repository.ts';
import { operator, type Principal } from '../accounts/roles.ts';
import { getApplication } from '../applications/repository.ts';
import type { PlatformDb } from '../db/connect.ts';
import { listGateways, registerGateway, setGatewayStore } from '../enterprises/gateways.ts';
import { verifyApplication } from '../verifications/compute.ts';
import type { Verification } from '../verifications/schemas.ts';

/** Who files the demo's gateway (audited as `cli:demo`): the demo, standing in for the service provider. */
const DEMO_ACTOR = operator('demo');

export interface LiveGateway {
  id: string;
  publicKeyPem: string;
  /** The absolute path of its embedded store. */
  store: string;
  /** Its config, YAML. */
  config: string;
}

/**
 * Registers the gateway's key in the enterprise's file (the same key again changes nothing; another
 * key for the id is refused: KEY_CONFLICT) and records its store and config when they changed.
 */
export async function fileLiveGateway(platform: PlatformDb, enterpriseId: string, gateway: LiveGateway) {
  const { db } = platform;
  await registerGateway(db, DEMO_ACTOR, enterpriseId, { id: gateway.id, publicKey: gateway.publicKeyPem });
  const held = (await listGateways(db, DEMO_ACTOR, enterpriseId)).find((g) => g.id === gateway.id);
  if (held?.store !== gateway.store || held?.config !== gateway.config)
    await setGatewayStore(db, DEMO_ACTOR, enterpriseId, gateway.id, {
      store: gateway.store,
      config: gateway.config,
    });
}

/** Attestations of the gateway in the service's own copy. */
export async function attestationsHeld(platform: PlatformDb, gatewayId: string) {
  const row = await platform.db
    .selectFrom('attestations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('gateway', '=', gatewayId)
    .where('fork', '=', 0)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n) };
}

export type LiveVerification =
  | { verified: true; verification: Verification }
  | { verified: false; why: string };

/**
 * Verifies the application as the officer, once the service holds `attestations` more of the gateway's
 * attestations than at `since` (so data of this run has flowed). Only a submitted application: after
 * its 初审 a new verification would stop the 复审 (VERIFICATION_CHANGED), and a decided one is closed.
 * The verification's window ends one slice before the newest attestation the service holds
 * (verifications/compute.ts), so the live gateway's newest points, not yet attested there, wait.
 */
export async function verifyWhenAttested(
  platform: PlatformDb,
  o: {
    applicationId: string;
    gatewayId: string;
    officer: string;
    since: number;
    attestations: number;
    params?: Record<string, string>;
    signal: AbortSignal;
    pollMs?: number;
  },
): Promise<LiveVerification> {
  const account = await accountByName(platform.db, o.officer);
  if (!account) return { verified: false, why: `no account ${o.officer}` };
  const officer: Principal = principalOf(account);
  const application = await getApplication(platform.db, officer, o.applicationId);
  if (application.state !== 'submitted')
    return {
      verified: false,
      why: `the application is ${application.state}: verifications are the officers' now`,
    };
  for (;;) {
    if (o.signal.aborted) return { verified: false, why: 'stopped before the attestations arrived' };
    const held = await attestationsHeld(platform, o.gatewayId);
    if (held.count >= o.since + o.attestations) {
      const verification = await verifyApplication(platform.db, officer, o.applicationId, {
        params: o.params ?? {},
      });
      return { verified: true, verification };
    }
    await new Promise((resolve) => setTimeout(resolve, o.pollMs ?? 500));
  }
}
