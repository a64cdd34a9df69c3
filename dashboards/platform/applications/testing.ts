/**
 * For tests of applications: an embedded store written as a gateway writes it (samples, each batch
 * followed by its signed attestation), and the attestations as the central sink posts them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Answers } from '../../../assessment/answers.ts';
import { fortyPoints, lowestAnswers } from '../../../assessment/fixtures.ts';
import type { Attestation } from '../../../gateway/attest/attestation.ts';
import { Attestor } from '../../../gateway/attest/attestor.ts';
import { fingerprint } from '../../../gateway/attest/identity.ts';
import { EmbeddedStore } from '../../../gateway/sinks/embedded/store.ts';
import type { StoredSample } from '../../../gateway/sinks/sink.ts';
import { goodSample } from '../../../gateway/sinks/testing.ts';
import { principalOf } from '../accounts/repository.ts';
import { createToken } from '../accounts/tokens.ts';
import type { World } from '../testing.ts';

/** 2026-01-01 00:00 China time: the day the test renovation's contract is signed. */
export const SIGNED_ON = '2026-01-01';
export const DATA_FROM = Date.parse('2026-01-01T09:00:00+08:00');
export const MINUTE = 60_000;

export interface SignedStore {
  gateway: string;
  publicKeyPem: string;
  file: string;
  items: { stamp: number; attestation: Attestation }[];
}

/**
 * `minutes` of a press (speed, parts) every 10 s into an embedded store, attested batch by batch, each
 * attestation `sealAfterMs` after its batch was received. The newest `undelivered` batches are
 * attested (in `items`, for the central copy) but not in the store yet: its sink is behind the
 * central one. `deviceBehindMs`: the press's clock is that far behind the gateway's (its points' time).
 * The newest `unsealed` batches are in the store, not attested yet: `seal(at)` attests them at `at`,
 * writes the attestation to the store and gives it for the copy.
 */
export async function signedStore(
  gateway: string,
  minutes = 10,
  o: { sealAfterMs?: number; undelivered?: number; deviceBehindMs?: number; unsealed?: number } = {},
): Promise<SignedStore & { seal: (at: number) => Promise<SignedStore['items'][number]> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shugai-app-store-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const identity = {
    privateKey,
    publicKey,
    fingerprint: fingerprint(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const file = path.join(dir, 'samples.db');
  const store = new EmbeddedStore('embedded', file);
  let clock = DATA_FROM;
  const attestor = new Attestor(identity, gateway, path.join(dir, 'chain.json'), () => clock);
  const items: SignedStore['items'] = [];
  const item = (attestation: StoredSample) => ({
    stamp: attestation.sourceTime,
    attestation: JSON.parse(String(attestation.value)) as Attestation,
  });
  const batches = (minutes * MINUTE) / 10_000;
  const sealed = batches - (o.unsealed ?? 0);
  const unsealed: StoredSample[] = [];
  for (let t = DATA_FROM; t < DATA_FROM + minutes * MINUTE; t += 10_000) {
    const i = (t - DATA_FROM) / 10_000;
    const time = t - (o.deviceBehindMs ?? 0);
    const batch: StoredSample[] = [
      goodSample('press-01', 'speed', 'number', 1200 + (i % 7) * 3.5, time, 20 + (o.deviceBehindMs ?? 0)),
      goodSample('press-01', 'parts', 'integer', i, time, 20 + (o.deviceBehindMs ?? 0)),
    ];
    if (i >= sealed) {
      await store.write(batch);
      unsealed.push(...batch);
      continue;
    }
    clock = t + (o.sealAfterMs ?? 1000);
    const attestation = attestor.attest(batch);
    if (i < sealed - (o.undelivered ?? 0)) await store.write([...batch, attestation]);
    items.push(item(attestation));
  }
  await store.close();
  const seal = async (at: number) => {
    clock = at;
    const attestation = attestor.attest(unsealed);
    const live = new EmbeddedStore('embedded', file);
    await live.write([attestation]);
    await live.close();
    return item(attestation);
  };
  return { gateway, publicKeyPem: identity.publicKeyPem, file, items, seal };
}

/**
 * Files in 永康's file what an application needs: a renovation of 450,000.00 yuan, the gateway with its
 * store (its attestations posted to the central copy), and two validated assessments (before: the
 * lowest answers, after: forty points, or the answers given). Returns the assessment ids.
 */
export async function readyToApply(w: World, store: SignedStore, afterAnswers: Answers = fortyPoints()) {
  const id = w.enterprise.yongkang;
  await ok(
    w.call('officer-yk', 'PUT', `/api/v1/enterprises/${id}/renovation`, {
      contract: { number: 'YK-2026-007', signedOn: SIGNED_ON },
      provider: 'provider-1',
      items: [
        { category: 'hardware', description: '数据采集网关与传感器', amount: '300000.00' },
        { category: 'software', description: 'MES 一套', amount: '149999.99' },
        { category: 'service', description: '实施服务', amount: '0.01' },
      ],
    }),
  );
  await ok(
    w.call('provider-1', 'POST', `/api/v1/enterprises/${id}/gateways`, {
      id: store.gateway,
      publicKey: store.publicKeyPem,
    }),
    201,
  );
  await ok(
    w.call('provider-1', 'PUT', `/api/v1/enterprises/${id}/gateways/${store.gateway}/store`, {
      store: store.file,
    }),
  );
  await ok(w.app.inject({ method: 'POST', url: '/api/v1/attestations', payload: { items: store.items } }));
  const assess = async (answers: unknown) => (await validatedAssessment(w, id, answers)).id;
  const name = { name: '永康某保温杯有限公司' };
  const before = await assess({ ...lowestAnswers(), enterprise: name });
  const after = await assess({ ...afterAnswers, enterprise: name });
  return { before, after };
}

/** The response's JSON body when its status is the one expected, else an error with the body. */
export async function ok(
  response: Promise<{ statusCode: number; body: string }>,
  status = 200,
): Promise<Record<string, unknown>> {
  const r = await response;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return JSON.parse(r.body);
}

/**
 * An assessment of 永康 (the seeded world's ent-yk and assessor-1): self-assessed, on site, validated
 * with these answers. Its id and official level.
 */
export async function validatedAssessment(w: World, enterpriseId: string, answers: unknown) {
  const self = await ok(
    w.call('ent-yk', 'POST', `/api/v1/enterprises/${enterpriseId}/assessments`, { stage: 'self', answers }),
  );
  await ok(
    w.call('assessor-1', 'POST', `/api/v1/enterprises/${enterpriseId}/assessments`, {
      assessment: self.id,
      stage: 'onsite',
      answers,
    }),
  );
  const validated = await ok(w.call('assessor-1', 'POST', `/api/v1/assessments/${self.id}/validate`));
  return { id: self.id as string, officialLevel: validated.officialLevel as number | null };
}

/** Another officer of a region (the seeded world has one per region), with its bearer header. */
export async function addOfficer(w: World, name: string, region: string) {
  const row = {
    id: `acc_${name}`,
    name,
    role: 'officer',
    region,
    enterprise_id: null,
    display_name: name,
    password_hash: 'unused: logs in by token only',
    disabled: 0,
    created_at: Date.now(),
  };
  await w.platform.db.insertInto('accounts').values(row).execute();
  const { token } = await createToken(w.platform.db, principalOf(row), 'tests', Date.now());
  return { authorization: `Bearer ${token}` };
}
