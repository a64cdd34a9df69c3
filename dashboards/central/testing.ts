/** Test helpers: a gateway key and a signed attestation chain, as gateway/attest/attestor.ts makes them. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  type Attestation,
  attestationHash,
  GENESIS,
  signAttestation,
} from '../../gateway/attest/attestation.ts';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export interface TestGateway {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export function testGateway(id: string): TestGateway {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    id,
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface Item {
  stamp: number;
  attestation: Attestation;
}

/**
 * Attestations seq 1..n, linked by hash, at stamps T0 + seq·1000 (time = stamp); `points` varies the
 * content so that a second chain from the same key forks the first.
 */
export function signedChain(gateway: TestGateway, n: number, points = 5): Item[] {
  const items: Item[] = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const stamp = T0 + seq * 1000;
    const attestation = signAttestation(
      {
        v: 1,
        gateway: gateway.id,
        seq,
        prev,
        time: stamp,
        devices: [
          {
            device: 'press-1',
            count: points,
            from: stamp - 900,
            to: stamp - 100,
            digest: `${seq}`.padStart(64, '0'),
          },
        ],
        dropped: { full: 0, age: 0, refused: 0 },
      },
      gateway.privateKey,
    );
    prev = attestationHash(attestation);
    items.push({ stamp, attestation });
  }
  return items;
}

/** The NDJSON line the service answers for an item. */
export const ndjsonLine = (item: Item) =>
  `${JSON.stringify({ stamp: item.stamp, attestation: item.attestation })}\n`;
