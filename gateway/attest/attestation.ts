/**
 * Attestations: for every batch the gateway accepts, a signed record of what it holds, chained to
 * the previous one. They travel through the buffer and the sinks as samples of the reserved device
 * `_gateway` (tag `attestation`), so they land in the same store as the data they vouch for.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import type { StoredSample } from '../sinks/sink.ts';
import { canonicalJson, MultisetHash, pointDigest, sha256Hex } from './canonical.ts';

/** Configured device ids start with a letter or digit, so this one cannot clash with a machine. */
export const ATTESTATION_DEVICE = '_gateway';
export const ATTESTATION_TAG = 'attestation';
export const GENESIS = '0'.repeat(64);

export interface DeviceShare {
  device: string;
  count: number;
  /** Earliest and latest source time of the device's points in the batch (ms). */
  from: number;
  to: number;
  /** Multiset hash of the device's points (canonical.ts), hex. */
  digest: string;
}

export interface Attestation {
  v: 1;
  gateway: string;
  seq: number;
  /** SHA-256 of the previous attestation's canonical JSON, signature included. */
  prev: string;
  /** The gateway's clock when it attested (ms); deliberately not smoothed, so clock jumps show. */
  time: number;
  devices: DeviceShare[];
  /** Samples the buffer dropped by policy so far (full, age, refused): explains chain gaps. */
  dropped: { full: number; age: number; refused: number };
  /** Ed25519 signature (base64) of the canonical JSON without this field. */
  sig: string;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/**
 * Whether parsed JSON has the shape of an attestation. Anyone who can write to a store can put any
 * text where attestations live; the verifier reads nothing of one before this holds.
 */
export function isAttestation(value: unknown): value is Attestation {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  const dropped = a.dropped as Record<string, unknown> | null | undefined;
  return (
    a.v === 1 &&
    typeof a.gateway === 'string' &&
    isCount(a.seq) &&
    isHex64(a.prev) &&
    isTime(a.time) &&
    typeof a.sig === 'string' &&
    typeof dropped === 'object' &&
    dropped !== null &&
    isCount(dropped.full) &&
    isCount(dropped.age) &&
    isCount(dropped.refused) &&
    Array.isArray(a.devices) &&
    a.devices.every((d: unknown) => {
      const share = d as Record<string, unknown> | null;
      return (
        typeof share === 'object' &&
        share !== null &&
        typeof share.device === 'string' &&
        isCount(share.count) &&
        isTime(share.from) &&
        isTime(share.to) &&
        isHex64(share.digest)
      );
    })
  );
}

interface ShareEntry {
  device: string;
  count: number;
  from: number;
  to: number;
  hash: MultisetHash;
}

/**
 * Sums points into device shares as they come; `shares()` gives them as an attestation holds them.
 * `reset()` empties them for reuse: each device's entry is kept, so sums made again for the same
 * devices (a record's, every few milliseconds) allocate nothing.
 */
export class ShareSums {
  private readonly byDevice = new Map<string, ShareEntry>();
  /** The entries with points, in the order they got their first. */
  private readonly withPoints: ShareEntry[] = [];
  private lastDevice: string | undefined;
  private lastEntry: ShareEntry | undefined;
  points = 0;

  add(device: string, sourceTime: number, digest: Uint8Array): void {
    this.entry(device, sourceTime).hash.add(digest);
  }

  /** Adds a point by its digest as sha256.ts gives it (canonical.ts pointWords). */
  addWords(device: string, sourceTime: number, digest: Int32Array): void {
    this.entry(device, sourceTime).hash.addWords(digest);
  }

  /** Counts a point whose digest is added later (digest-batch.ts): the sum to add it to. */
  count(device: string, sourceTime: number): MultisetHash {
    return this.entry(device, sourceTime).hash;
  }

  /** The device's entry, counting one more point at `sourceTime`. */
  private entry(device: string, sourceTime: number): ShareEntry {
    // A message's points are of one device: its entry is looked up once.
    let entry = device === this.lastDevice ? this.lastEntry : this.byDevice.get(device);
    if (!entry) entry = this.newEntry(device);
    this.lastDevice = device;
    this.lastEntry = entry;
    if (entry.count === 0) this.firstPoints(entry, sourceTime, sourceTime);
    else {
      if (sourceTime < entry.from) entry.from = sourceTime;
      if (sourceTime > entry.to) entry.to = sourceTime;
    }
    entry.count += 1;
    this.points += 1;
    return entry;
  }

  private newEntry(device: string): ShareEntry {
    const entry = { device, count: 0, from: 0, to: 0, hash: new MultisetHash() };
    this.byDevice.set(device, entry);
    return entry;
  }

  private firstPoints(entry: ShareEntry, from: number, to: number): void {
    entry.from = from;
    entry.to = to;
    this.withPoints.push(entry);
  }

  /** Adds another's points to these; returns this. */
  merge(other: ShareSums): this {
    for (const e of other.withPoints) {
      const mine = this.byDevice.get(e.device) ?? this.newEntry(e.device);
      if (mine.count === 0) this.firstPoints(mine, e.from, e.to);
      else {
        mine.from = Math.min(mine.from, e.from);
        mine.to = Math.max(mine.to, e.to);
      }
      mine.count += e.count;
      mine.hash.addSum(e.hash);
    }
    this.points += other.points;
    return this;
  }

  /** Empties the sums, keeping each device's entry for the next use; returns this. */
  reset(): this {
    for (const e of this.withPoints) {
      e.count = 0;
      e.hash.clear();
    }
    this.withPoints.length = 0;
    this.points = 0;
    return this;
  }

  /** Devices with points. */
  get devices(): number {
    return this.withPoints.length;
  }

  shares(): DeviceShare[] {
    return [...this.withPoints]
      .sort((a, b) => (a.device < b.device ? -1 : 1))
      .map((e) => ({ device: e.device, count: e.count, from: e.from, to: e.to, digest: e.hash.hex() }));
  }
}

export function deviceShares(samples: readonly StoredSample[]): DeviceShare[] {
  const sums = new ShareSums();
  for (const s of samples) sums.add(s.device, s.sourceTime, pointDigest(s));
  return sums.shares();
}

export function signAttestation(unsigned: Omit<Attestation, 'sig'>, privateKey: KeyObject): Attestation {
  return signedAttestation(unsigned, privateKey).attestation;
}

/**
 * Signs, and gives the chain hash (attestationHash) of the result from the same text: the canonical
 * JSON of an attestation is written for its fixed shape once, rather than by canonicalJson twice
 * (a gateway signs a slice every 5,000 points; attestor.test.ts holds the texts equal).
 */
export function signedAttestation(
  unsigned: Omit<Attestation, 'sig'>,
  privateKey: KeyObject,
): { attestation: Attestation; hash: string } {
  // Keys in sorted order: devices, dropped, gateway, prev, seq, [sig], time, v.
  let head = '{"devices":[';
  for (let i = 0; i < unsigned.devices.length; i++) {
    const d = unsigned.devices[i] as DeviceShare;
    head += `${i > 0 ? ',' : ''}{"count":${JSON.stringify(d.count)},"device":${JSON.stringify(d.device)},"digest":${JSON.stringify(d.digest)},"from":${JSON.stringify(d.from)},"to":${JSON.stringify(d.to)}}`;
  }
  const { age, full, refused } = unsigned.dropped;
  head += `],"dropped":{"age":${JSON.stringify(age)},"full":${JSON.stringify(full)},"refused":${JSON.stringify(refused)}}`;
  head += `,"gateway":${JSON.stringify(unsigned.gateway)},"prev":${JSON.stringify(unsigned.prev)},"seq":${JSON.stringify(unsigned.seq)}`;
  const tail = `,"time":${JSON.stringify(unsigned.time)},"v":${JSON.stringify(unsigned.v)}}`;
  const sig = sign(null, Buffer.from(head + tail), privateKey).toString('base64');
  return {
    attestation: { ...unsigned, sig },
    hash: sha256Hex(`${head},"sig":${JSON.stringify(sig)}${tail}`),
  };
}

export function signatureValid(attestation: Attestation, publicKey: KeyObject): boolean {
  const { sig, ...unsigned } = attestation;
  try {
    return verify(null, Buffer.from(canonicalJson(unsigned)), publicKey, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

export function attestationHash(attestation: Attestation): string {
  return sha256Hex(canonicalJson(attestation));
}

/** The sample that carries an attestation; `stamp` is its unique, increasing store timestamp. */
export function attestationSample(attestation: Attestation, stamp: number): StoredSample {
  return {
    device: ATTESTATION_DEVICE,
    tag: ATTESTATION_TAG,
    type: 'string',
    value: JSON.stringify(attestation),
    quality: 'good',
    statusCode: 0,
    sourceTime: stamp,
    receivedAt: attestation.time,
  };
}
