/** Checks the attestations themselves: signatures, the hash chain, order and the gateway's clock. */
import type { KeyObject } from 'node:crypto';
import type { StoredSample } from '../sinks/sink.ts';
import { type Attestation, attestationHash, signatureValid } from './attestation.ts';
import type { Finding } from './findings.ts';

export interface CheckedAttestation {
  attestation: Attestation;
  /** The store timestamp of its sample. */
  stamp: number;
}

export interface ChainResult {
  valid: CheckedAttestation[];
  findings: Finding[];
}

const iso = (t: number) => new Date(t).toISOString();

export function checkChain(
  samples: readonly StoredSample[],
  publicKey: KeyObject,
  gatewayId: string | undefined,
  toleranceMs: number,
): ChainResult {
  const findings: Finding[] = [];
  const valid: CheckedAttestation[] = [];
  for (const sample of samples) {
    let attestation: Attestation;
    try {
      attestation = JSON.parse(String(sample.value)) as Attestation;
    } catch {
      findings.push({
        kind: 'malformed_attestation',
        at: sample.sourceTime,
        message: `attestation stored at ${iso(sample.sourceTime)} is not valid JSON`,
      });
      continue;
    }
    if (!signatureValid(attestation, publicKey)) {
      findings.push({
        kind: 'bad_signature',
        at: sample.sourceTime,
        message: `attestation seq ${attestation.seq} stored at ${iso(sample.sourceTime)} is not signed by the registered key: forged, altered or from another gateway`,
      });
      continue;
    }
    if (gatewayId !== undefined && attestation.gateway !== gatewayId) {
      findings.push({
        kind: 'other_gateway',
        at: sample.sourceTime,
        message: `attestation seq ${attestation.seq} names gateway ${attestation.gateway}, not ${gatewayId}`,
      });
      continue;
    }
    valid.push({ attestation, stamp: sample.sourceTime });
  }

  // Stored order must follow the sequence: attestations moved in time were re-stamped by someone.
  const byStamp = [...valid].sort((a, b) => a.stamp - b.stamp);
  for (let i = 1; i < byStamp.length; i++) {
    const [a, b] = [byStamp[i - 1] as CheckedAttestation, byStamp[i] as CheckedAttestation];
    if (b.attestation.seq < a.attestation.seq) {
      findings.push({
        kind: 'reordered',
        at: b.stamp,
        message: `attestation seq ${b.attestation.seq} is stored at ${iso(b.stamp)}, after seq ${a.attestation.seq} (${iso(a.stamp)}): attestations were reordered`,
      });
    }
  }

  const bySeq = [...valid].sort((a, b) => a.attestation.seq - b.attestation.seq);
  const chain: CheckedAttestation[] = [];
  for (const entry of bySeq) {
    const previous = chain.at(-1);
    if (previous && previous.attestation.seq === entry.attestation.seq) {
      if (attestationHash(previous.attestation) !== attestationHash(entry.attestation)) {
        findings.push({
          kind: 'fork',
          at: entry.stamp,
          message: `two different attestations carry seq ${entry.attestation.seq}: the chain forks`,
        });
      }
      continue;
    }
    if (previous) checkLink(previous, entry, toleranceMs, findings);
    chain.push(entry);
  }
  return { valid: chain, findings };
}

function checkLink(
  previous: CheckedAttestation,
  entry: CheckedAttestation,
  toleranceMs: number,
  findings: Finding[],
): void {
  const [a, b] = [previous.attestation, entry.attestation];
  const missing = b.seq - a.seq - 1;
  if (missing > 0) {
    const droppedBefore = a.dropped.full + a.dropped.age + a.dropped.refused;
    const droppedAfter = b.dropped.full + b.dropped.age + b.dropped.refused;
    findings.push(
      droppedAfter > droppedBefore
        ? {
            kind: 'dropped_by_policy',
            at: entry.stamp,
            message: `attestations ${a.seq + 1}–${b.seq - 1} are missing; the gateway reports ${droppedAfter - droppedBefore} samples dropped by its buffer policy in that time (${iso(a.time)} – ${iso(b.time)})`,
          }
        : {
            kind: 'missing_attestations',
            at: entry.stamp,
            message: `attestations ${a.seq + 1}–${b.seq - 1} (${missing}) are missing between ${iso(a.time)} and ${iso(b.time)}: removed from the store`,
          },
    );
  } else if (b.prev !== attestationHash(a)) {
    findings.push({
      kind: 'broken_chain',
      at: entry.stamp,
      message: `attestation seq ${b.seq} does not follow seq ${a.seq}: its previous-hash differs`,
    });
  }
  if (b.time < a.time - toleranceMs) {
    findings.push({
      kind: 'clock_jump',
      at: entry.stamp,
      message: `the gateway clock ran backwards by ${Math.round((a.time - b.time) / 1000)} s between attestations ${a.seq} (${iso(a.time)}) and ${b.seq} (${iso(b.time)})`,
    });
  }
}
