/**
 * Checks the attestations themselves: signatures, the hash chain, order and the gateway's clock.
 *
 * Attestations arrive one by one in store order (a week at 1 s is 600,000 of them, each a few
 * kilobytes of JSON), so the checker keeps only what the chain checks need, about 100 bytes per
 * attestation in typed arrays, and hands each accepted attestation back to the caller at once.
 *
 * Signatures can be checked lazily: an attestation whose successor names its hash (and the next
 * sequence number) is vouched for by that successor's signature, since the hash covers every
 * field, its own signature included. Then only the last attestation of each linked run needs an
 * Ed25519 check, one in hundreds of thousands on a clean store. If one of those fails, the
 * attestations already handed out cannot be taken back: the caller runs again with every
 * signature checked (`lazyFailed`), which gives the exact findings.
 */
import type { KeyObject } from 'node:crypto';
import {
  type Attestation,
  attestationHash,
  type DeviceShare,
  GENESIS,
  isAttestation,
  signatureValid,
} from './attestation.ts';
import type { Finding } from './findings.ts';

export interface ChainSummary {
  findings: Finding[];
  /** Distinct sequence numbers with a valid signature, and the first and last of them. */
  valid: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  /** The gateway clock of every accepted attestation (ms), in sequence order. */
  times: Float64Array;
}

const iso = (t: number) => new Date(t).toISOString();
const GENESIS_BYTES = Buffer.from(GENESIS, 'hex');

/** Where the chain was looked for before the window: how far back, and whether its predecessor was found. */
export interface HeadSearch {
  lookbackMs: number;
  /** The last attestation before the window was found and accepted (fed first to the checker). */
  found: boolean;
}

/**
 * What an attestation claims to cover, for a finding about it: its devices and their time span
 * (what a forged or moved attestation would vouch for). Claims of an unsigned one are not trusted,
 * only reported.
 */
function claimed(attestation: Attestation): Pick<Finding, 'device' | 'from' | 'to'> & { text: string } {
  const shares = attestation.devices;
  if (shares.length === 0) return { text: '' };
  const from = Math.min(...shares.map((d) => d.from));
  const to = Math.max(...shares.map((d) => d.to));
  const names = shares.map((d) => d.device).join(', ');
  return {
    ...(shares.length === 1 ? { device: (shares[0] as DeviceShare).device } : {}),
    from,
    to,
    text: ` (${names}, ${iso(from)} – ${iso(to)})`,
  };
}

/** Growable columns of what the link checks need, one row per validly signed attestation. */
class Ledger {
  size = 0;
  seq = new Float64Array(1024);
  stamp = new Float64Array(1024);
  time = new Float64Array(1024);
  dropped = new Float64Array(1024);
  hash = new Uint8Array(1024 * 32);
  prev = new Uint8Array(1024 * 32);

  push(attestation: Attestation, stamp: number, hash: string): void {
    if (this.size === this.seq.length) this.grow();
    const i = this.size++;
    this.seq[i] = attestation.seq;
    this.stamp[i] = stamp;
    this.time[i] = attestation.time;
    const d = attestation.dropped;
    this.dropped[i] = d.full + d.age + d.refused;
    this.hash.set(Buffer.from(hash, 'hex'), i * 32);
    this.prev.set(Buffer.from(attestation.prev, 'hex'), i * 32);
  }

  sameBytes(column: Uint8Array, i: number, other: Uint8Array, j: number): boolean {
    for (let k = 0; k < 32; k++) if (column[i * 32 + k] !== other[j * 32 + k]) return false;
    return true;
  }

  private grow(): void {
    const widen = <T extends Float64Array | Uint8Array>(a: T, factor = 1): T => {
      const next = new (a.constructor as new (n: number) => T)(this.seq.length * 2 * factor);
      next.set(a);
      return next;
    };
    this.stamp = widen(this.stamp);
    this.time = widen(this.time);
    this.dropped = widen(this.dropped);
    this.hash = widen(this.hash, 32);
    this.prev = widen(this.prev, 32);
    this.seq = widen(this.seq);
  }
}

export class ChainChecker {
  private readonly findings: Finding[] = [];
  private readonly ledger = new Ledger();
  private readonly seen = new Set<number>();
  /** Attestations naming another gateway, per gateway. */
  private readonly others = new Map<string, { count: number; firstStamp: number; lastStamp: number }>();
  private lastSeq: number | undefined;
  /** Lazy mode: the previous attestation, not yet vouched for, and its hash. */
  private unsettled: { attestation: Attestation; hash: string } | undefined;
  /** Lazy mode: a run ended in a signature that does not verify; run again with `lazy` off. */
  lazyFailed = false;

  constructor(
    private readonly publicKey: KeyObject,
    private readonly gatewayId: string | undefined,
    private readonly toleranceMs: number,
    private readonly lazy = false,
  ) {}

  /**
   * Checks one stored attestation (store order). Returns it when its points count: a valid
   * signature by the registered gateway, and the first attestation stored with its sequence number.
   */
  add(text: string, stamp: number): Attestation | undefined {
    let attestation: unknown;
    try {
      attestation = JSON.parse(text);
    } catch {
      attestation = undefined;
    }
    if (!isAttestation(attestation)) {
      this.findings.push({
        kind: 'malformed_attestation',
        at: stamp,
        message: `attestation stored at ${iso(stamp)} is not an attestation (JSON of the v1 shape)`,
      });
      return undefined;
    }
    // Another gateway's attestation is not this one's evidence: counted and reported once per
    // gateway, before its signature (which this key cannot check) is looked at.
    if (this.gatewayId !== undefined && attestation.gateway !== this.gatewayId) {
      const other = this.others.get(attestation.gateway);
      if (other) {
        other.count += 1;
        other.lastStamp = stamp;
      } else this.others.set(attestation.gateway, { count: 1, firstStamp: stamp, lastStamp: stamp });
      return undefined;
    }
    if (!this.lazy && !signatureValid(attestation, this.publicKey)) {
      const { text, ...scope } = claimed(attestation);
      this.findings.push({
        kind: 'bad_signature',
        at: stamp,
        ...scope,
        message: `attestation seq ${attestation.seq}${text} stored at ${iso(stamp)} is not signed by the registered key: forged, altered or from another gateway`,
      });
      return undefined;
    }
    // Stored order must follow the sequence: attestations moved in time were re-stamped by someone.
    if (this.lastSeq !== undefined && attestation.seq < this.lastSeq) {
      const previous = this.ledger.size - 1;
      const { text, ...scope } = claimed(attestation);
      this.findings.push({
        kind: 'reordered',
        at: stamp,
        ...scope,
        message: `attestation seq ${attestation.seq}${text} is stored at ${iso(stamp)}, after seq ${this.lastSeq} (${iso(this.ledger.stamp[previous] as number)}): attestations were reordered`,
      });
    }
    this.lastSeq = attestation.seq;
    const hash = attestationHash(attestation);
    if (this.lazy) {
      const previous = this.unsettled;
      if (
        previous &&
        !(attestation.seq === previous.attestation.seq + 1 && attestation.prev === previous.hash)
      )
        this.settle();
      this.unsettled = { attestation, hash };
    }
    this.ledger.push(attestation, stamp, hash);
    if (this.seen.has(attestation.seq)) return undefined;
    this.seen.add(attestation.seq);
    return attestation;
  }

  /** Lazy mode: the run ends here, so its last attestation's signature must verify on its own. */
  private settle(): void {
    if (this.unsettled && !signatureValid(this.unsettled.attestation, this.publicKey)) this.lazyFailed = true;
    this.unsettled = undefined;
  }

  /** The chain in sequence order: forks, holes (dropped by policy or removed), links, clock. */
  finish(head?: HeadSearch): ChainSummary {
    this.settle();
    for (const [gateway, other] of this.others) {
      this.findings.push({
        kind: 'other_gateway',
        at: other.firstStamp,
        message: `${other.count} attestations stored between ${iso(other.firstStamp)} and ${iso(other.lastStamp)} name gateway ${gateway}, not ${this.gatewayId}: not checked here (another gateway's data, or placed in this one's store)`,
      });
    }
    const l = this.ledger;
    // Stable by store order, so of two attestations with one seq the first stored is the chain's.
    const order = Array.from({ length: l.size }, (_, i) => i).sort(
      (a, b) => (l.seq[a] as number) - (l.seq[b] as number) || a - b,
    );
    const chain: number[] = [];
    for (const i of order) {
      const p = chain.at(-1);
      if (p !== undefined && l.seq[p] === l.seq[i]) {
        if (!l.sameBytes(l.hash, p, l.hash, i)) {
          this.findings.push({
            kind: 'fork',
            at: l.stamp[i] as number,
            message: `two different attestations carry seq ${l.seq[i]}: the chain forks`,
          });
        }
        continue;
      }
      if (p !== undefined) this.checkLink(p, i);
      chain.push(i);
    }
    const first = chain[0];
    const last = chain.at(-1);
    if (first !== undefined && head) this.checkHead(first, head);
    return {
      findings: this.findings,
      valid: chain.length,
      firstSeq: first === undefined ? undefined : l.seq[first],
      lastSeq: last === undefined ? undefined : l.seq[last],
      times: Float64Array.from(chain, (i) => l.time[i] as number),
    };
  }

  /**
   * The chain's first attestation begins the chain (seq 1, after the genesis hash) or follows the
   * last attestation before the window; else the start was cut off, and a deletion at the head of
   * the window (points and attestations) would look like a chain that starts later.
   */
  private checkHead(first: number, head: HeadSearch): void {
    const l = this.ledger;
    const seq = l.seq[first] as number;
    const at = l.stamp[first] as number;
    if (seq === 1) {
      if (!l.sameBytes(l.prev, first, GENESIS_BYTES, 0))
        this.findings.push({
          kind: 'broken_chain',
          at,
          message: 'attestation seq 1 does not begin a chain: its previous-hash is not the genesis hash',
        });
      return;
    }
    if (head.found) return;
    const days = Math.round((head.lookbackMs / 86_400_000) * 10) / 10;
    const dropped = l.dropped[first] as number;
    this.findings.push(
      dropped > 0
        ? {
            kind: 'dropped_by_policy',
            at,
            message: `attestations 1–${seq - 1} are not in the store and none is stored in the ${days} days before the window; by seq ${seq} (${iso(l.time[first] as number)}) the gateway reports ${dropped} samples dropped by its buffer policy, which explains a chain whose start never reached the store`,
          }
        : {
            kind: 'missing_attestations',
            at,
            message: `attestations 1–${seq - 1} are missing: the chain begins at seq ${seq} (${iso(l.time[first] as number)}) and no attestation is stored in the ${days} days before the window, so its start cannot be tied to earlier data (removed from the store, or the gateway was off for longer: verify from an earlier start)`,
          },
    );
  }

  private checkLink(a: number, b: number): void {
    const l = this.ledger;
    const [seqA, seqB] = [l.seq[a] as number, l.seq[b] as number];
    const [timeA, timeB] = [l.time[a] as number, l.time[b] as number];
    const stamp = l.stamp[b] as number;
    const missing = seqB - seqA - 1;
    if (missing > 0) {
      const dropped = (l.dropped[b] as number) - (l.dropped[a] as number);
      this.findings.push(
        dropped > 0
          ? {
              kind: 'dropped_by_policy',
              at: stamp,
              message: `attestations ${seqA + 1}–${seqB - 1} are missing; the gateway reports ${dropped} samples dropped by its buffer policy in that time (${iso(timeA)} – ${iso(timeB)})`,
            }
          : {
              kind: 'missing_attestations',
              at: stamp,
              message: `attestations ${seqA + 1}–${seqB - 1} (${missing}) are missing between ${iso(timeA)} and ${iso(timeB)}: removed from the store`,
            },
      );
    } else if (!l.sameBytes(l.prev, b, l.hash, a)) {
      this.findings.push({
        kind: 'broken_chain',
        at: stamp,
        message: `attestation seq ${seqB} does not follow seq ${seqA}: its previous-hash differs`,
      });
    }
    if (timeB < timeA - this.toleranceMs) {
      this.findings.push({
        kind: 'clock_jump',
        at: stamp,
        message: `the gateway clock ran backwards by ${Math.round((timeA - timeB) / 1000)} s between attestations ${seqA} (${iso(timeA)}) and ${seqB} (${iso(timeB)})`,
      });
    }
  }
}
