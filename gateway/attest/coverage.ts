/**
 * Compares, device by device, what the attestations vouch for with what the store holds. A device's
 * attested spans are merged into disjoint clusters; within a cluster the store must hold exactly the
 * attested count with the same multiset digest. Points outside every cluster were typed in.
 */
import type { StoredSample } from '../sinks/sink.ts';
import type { DeviceShare } from './attestation.ts';
import { MultisetHash, pointDigest } from './canonical.ts';
import type { Finding } from './findings.ts';

export interface Cluster {
  from: number;
  to: number;
  count: number;
  digest: MultisetHash;
  seen: number;
  seenDigest: MultisetHash;
}

/** Merges a device's attested shares into disjoint clusters (inclusive bounds), sorted by time. */
export function clusters(shares: readonly DeviceShare[]): Cluster[] {
  const sorted = [...shares].sort((a, b) => a.from - b.from);
  const out: Cluster[] = [];
  for (const share of sorted) {
    const last = out.at(-1);
    if (last && share.from <= last.to) {
      last.to = Math.max(last.to, share.to);
      last.count += share.count;
      last.digest.addHex(share.digest);
    } else {
      out.push({
        from: share.from,
        to: share.to,
        count: share.count,
        digest: new MultisetHash().addHex(share.digest),
        seen: 0,
        seenDigest: new MultisetHash(),
      });
    }
  }
  return out;
}

/** Tracks one device's stored points against its clusters, in time order. */
export class DeviceCoverage {
  private index = 0;
  /** Runs of points outside every cluster: [first, last, count]. */
  readonly unattested: [number, number, number][] = [];

  constructor(
    readonly device: string,
    readonly clusters: Cluster[],
  ) {}

  /** Feeds the next stored point (time order); returns whether an attestation covers it. */
  add(sample: StoredSample): boolean {
    const t = sample.sourceTime;
    while (this.index < this.clusters.length && (this.clusters[this.index] as Cluster).to < t) this.index++;
    const cluster = this.clusters[this.index];
    if (cluster && cluster.from <= t) {
      cluster.seen += 1;
      cluster.seenDigest.add(pointDigest(sample));
      this.inRun = false;
      return true;
    }
    const run = this.unattested.at(-1);
    if (run && this.inRun) {
      run[1] = t;
      run[2] += 1;
    } else this.unattested.push([t, t, 1]);
    this.inRun = true;
    return false;
  }

  /** Whether the previous point was unattested too (one run). */
  private inRun = false;

  findings(window: { from: number; to: number }): Finding[] {
    const out: Finding[] = [];
    const iso = (t: number) => new Date(t).toISOString();
    for (const c of this.clusters) {
      if (c.to < window.from || c.from >= window.to) continue;
      const span = { device: this.device, from: c.from, to: c.to };
      const where = `${this.device}, ${iso(c.from)} – ${iso(c.to)}`;
      if (c.seen < c.count)
        out.push({
          kind: 'deleted',
          ...span,
          message: `${where}: ${c.count - c.seen} of ${c.count} attested points are missing from the store (deleted)`,
        });
      else if (c.seen > c.count)
        out.push({
          kind: 'inserted',
          ...span,
          message: `${where}: the store holds ${c.seen - c.count} points more than the ${c.count} attested (inserted)`,
        });
      else if (!c.seenDigest.equals(c.digest))
        out.push({
          kind: 'altered',
          ...span,
          message: `${where}: the ${c.count} points are all there but their values differ from what was attested (altered)`,
        });
    }
    for (const [from, to, count] of this.unattested) {
      out.push({
        kind: 'unattested',
        device: this.device,
        from,
        to,
        message: `${this.device}, ${iso(from)} – ${iso(to)}: ${count} points no attestation covers (typed in or written by something else)`,
      });
    }
    return out;
  }
}
