/**
 * Compares, device by device, what the attestations vouch for with what the store holds. Attested
 * shares are merged into disjoint clusters; within a cluster the store must hold exactly the
 * attested count with the same multiset digest. Points outside every cluster were typed in.
 *
 * Two granularities. Coarse clusters widen every share to whole slices (an hour) before merging, so
 * a week of 1 s batches becomes a few hundred sums per device while the attestations stream past.
 * A coarse cluster that does not match is refined: its shares, read again, form the fine clusters
 * (one per batch, or per run of overlapping batches) that name exactly which points are wrong.
 */
import type { StoredSample } from '../sinks/sink.ts';
import type { DeviceShare } from './attestation.ts';
import { MultisetHash, pointDigest } from './canonical.ts';
import type { Finding } from './findings.ts';

export interface Cluster {
  /** Earliest and latest attested source time (ms, inclusive). */
  from: number;
  to: number;
  /** The stored points compared with the cluster are those in lo–hi (inclusive): from–to unless coarse. */
  lo: number;
  hi: number;
  count: number;
  digest: MultisetHash;
  /** Shares merged into the cluster: what refining it would hold in memory. */
  shares: number;
  seen: number;
  seenDigest: MultisetHash;
}

function cluster(share: DeviceShare, lo: number, hi: number): Cluster {
  return {
    from: share.from,
    to: share.to,
    lo,
    hi,
    count: share.count,
    digest: new MultisetHash().addHex(share.digest),
    shares: 1,
    seen: 0,
    seenDigest: new MultisetHash(),
  };
}

/** Folds `source` into `target`, which then spans both. */
function merge(target: Cluster, source: Cluster): void {
  target.from = Math.min(target.from, source.from);
  target.to = Math.max(target.to, source.to);
  target.lo = Math.min(target.lo, source.lo);
  target.hi = Math.max(target.hi, source.hi);
  target.count += source.count;
  target.digest.addSum(source.digest);
  target.shares += source.shares;
}

/** Fine clusters: a device's shares merged where their time spans overlap, sorted by time. */
export function clusters(shares: readonly DeviceShare[]): Cluster[] {
  const sorted = [...shares].sort((a, b) => a.from - b.from);
  const out: Cluster[] = [];
  for (const share of sorted) {
    const next = cluster(share, share.from, share.to);
    const last = out.at(-1);
    if (last && share.from <= last.hi) merge(last, next);
    else out.push(next);
  }
  return out;
}

/**
 * Coarse clusters of one device, built share by share in any order; `list` is sorted and disjoint.
 * Slices start at `origin` (the window's start): a slice across the window's start would hold points
 * before it whose attestations were not read, and need refining on every run.
 */
export class CoarseClusters {
  readonly list: Cluster[] = [];

  constructor(
    private readonly sliceMs: number,
    private readonly origin = 0,
  ) {}

  add(share: DeviceShare): void {
    const { sliceMs, origin } = this;
    const lo = Math.floor((share.from - origin) / sliceMs) * sliceMs + origin;
    const hi = (Math.floor((share.to - origin) / sliceMs) + 1) * sliceMs - 1 + origin;
    const list = this.list;
    // The first cluster ending at or after lo; shares mostly arrive in time order, so try the last.
    let i = list.length;
    if (i > 0 && (list[i - 1] as Cluster).hi >= lo) {
      let [low, high] = [0, i - 1];
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((list[mid] as Cluster).hi >= lo) high = mid;
        else low = mid + 1;
      }
      i = low;
    }
    let j = i;
    while (j < list.length && (list[j] as Cluster).lo <= hi) j++;
    const added = cluster(share, lo, hi);
    if (j === i) {
      list.splice(i, 0, added);
      return;
    }
    const target = list[i] as Cluster;
    merge(target, added);
    for (let k = i + 1; k < j; k++) merge(target, list[k] as Cluster);
    list.splice(i + 1, j - i - 1);
  }
}

/** The span a device's points are read over: the window, widened so every cluster in it is whole. */
export function readSpan(window: { from: number; to: number }, list: readonly Cluster[]) {
  let [from, to] = [window.from, window.to];
  for (const c of list) {
    if (!inWindow(c, window)) continue;
    from = Math.min(from, c.lo);
    to = Math.max(to, c.hi + 1);
  }
  return { from, to };
}

const inWindow = (c: Cluster, window: { from: number; to: number }) =>
  c.hi >= window.from && c.lo < window.to;

/** Tracks one device's stored points against its clusters, in time order. */
export class DeviceCoverage {
  private index = 0;
  /** Runs of points outside every cluster: [first, last, count]. */
  readonly unattested: [number, number, number][] = [];
  /** Whether the previous point was unattested too (one run). */
  private inRun = false;

  constructor(
    readonly device: string,
    readonly clusters: readonly Cluster[],
  ) {}

  /** Feeds the next stored point (time order); returns whether an attestation covers it. */
  add(sample: StoredSample): boolean {
    const t = sample.sourceTime;
    while (this.index < this.clusters.length && (this.clusters[this.index] as Cluster).hi < t) this.index++;
    const c = this.clusters[this.index];
    if (c && c.lo <= t) {
      c.seen += 1;
      c.seenDigest.add(pointDigest(sample));
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

  /** Clusters reaching into the window whose stored points differ from the attested ones. */
  mismatched(window: { from: number; to: number }): Cluster[] {
    return this.clusters.filter(
      (c) => inWindow(c, window) && (c.seen !== c.count || !c.seenDigest.equals(c.digest)),
    );
  }

  /**
   * `undelivered`: attested points missing from the store in clusters from `after` on are reported
   * as one run not delivered to the store (`store` says how far it holds the gateway's attestations),
   * not as deletions: the store is behind the attestations' copy.
   */
  findings(window: { from: number; to: number }, undelivered?: { after: number; store: string }): Finding[] {
    const out: Finding[] = [];
    const iso = (t: number) => new Date(t).toISOString();
    let run: { from: number; to: number; missing: number } | undefined;
    for (const c of this.mismatched(window)) {
      // A coarse cluster nobody refined is reported over its whole slice: the points are in there.
      const [from, to] = c.lo === c.from && c.hi === c.to ? [c.from, c.to] : [c.lo, c.hi];
      const span = { device: this.device, from, to };
      const where = `${this.device}, ${iso(from)} – ${iso(to)}`;
      if (c.seen < c.count && undelivered && from >= undelivered.after) {
        run ??= { from, to, missing: 0 };
        run.to = to;
        run.missing += c.count - c.seen;
      } else if (c.seen < c.count)
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
      else
        out.push({
          kind: 'altered',
          ...span,
          message: `${where}: the ${c.count} points are all there but their values differ from what was attested (altered)`,
        });
    }
    if (run && undelivered)
      out.push({
        kind: 'undelivered',
        device: this.device,
        from: run.from,
        to: run.to,
        message: `${this.device}, ${iso(run.from)} – ${iso(run.to)}: ${run.missing} attested points are not in the store, ${undelivered.store}: not delivered yet (the gateway's sink to this store behind or down), or deleted with their attestations. Verify again once the gateway has delivered them.`,
      });
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
