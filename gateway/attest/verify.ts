/**
 * `shugai verify`: does the store hold exactly what the registered gateway attested? Signatures and
 * the chain (chain.ts), then every device's stored points against its attested clusters
 * (coverage.ts), timestamps, an evidence summary per device and plausibility flags. Every read is
 * scoped to the verified gateway: another gateway writing into the same database is not its data.
 *
 * The chain is followed from the last attestation before the window (found by halving a bounded
 * look-back), so a deletion at the window's head, attestations included, leaves a hole. A deletion
 * at the tail, attestations included, shows only against the bureau's copy (`attestations` from a
 * central service); the report says which of these guarantees held for the run.
 *
 * Memory stays bounded for a week of 1 s data: attestations stream once, leaving per device a few
 * hundred hour-slice sums; points stream once per device. Only a slice that does not match is
 * refined, by reading its attestations and points again (bounded by `refineShareLimit`).
 */
import type { KeyObject } from 'node:crypto';
import type { StoredSample } from '../sinks/sink.ts';
import type { SampleReader, TimeWindow } from '../store/reader.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG, type DeviceShare } from './attestation.ts';
import { MultisetHash } from './canonical.ts';
import { ChainChecker, type ChainSummary } from './chain.ts';
import { type Cluster, CoarseClusters, clusters, DeviceCoverage, readSpan } from './coverage.ts';
import { type DeviceEvidence, EvidenceCollector } from './evidence.ts';
import { CLEAN_KINDS, type Finding } from './findings.ts';
import { OfflineWatch, type PlausibilityFlag, SignalWatch, type TagCatalog } from './plausibility.ts';

/** An attestation as stored: its JSON text and the store timestamp it was written under. */
export interface StoredAttestation {
  text: string;
  stamp: number;
}

/** Attestations whose stamp falls in the range, in stamp order. */
export type AttestationSource = (range: TimeWindow) => AsyncIterable<StoredAttestation>;

export interface VerifyOptions {
  reader: SampleReader;
  /** Where the attestations come from: the store's own `_gateway` samples unless given (e.g. a central copy). */
  attestations?: AttestationSource;
  /** The attestations given are the bureau's copy (a central service), not the store's own. */
  central?: boolean;
  publicKey: KeyObject;
  /** The verified gateway: every read is scoped to it, and attestations naming another are not its. */
  gatewayId?: string;
  window: TimeWindow;
  /** What the gateway config says of each tag (units, descriptions, derived outputs), for the plausibility flags. */
  tags?: TagCatalog;
  /** How far before the window the chain's predecessor is looked for (ms); default 31 days. */
  headLookbackMs?: number;
  /** Clock differences below this are not findings (ms). */
  toleranceMs?: number;
  /** How long after the window attestations may still vouch for its points (ms). */
  lookaheadMs?: number;
  now?: () => number;
  /** Width of the slices coarse clusters are aligned to (ms). */
  sliceMs?: number;
  /** At most this many attested shares are held at once to pin mismatches down to their batches. */
  refineShareLimit?: number;
}

/**
 * What this run could see. `points`: edits inside attested spans and unattested points; `head`: a
 * deletion at the start of the window; `tail`: a deletion of the newest data with its attestations.
 */
export interface Guarantee {
  id: 'points' | 'head' | 'tail';
  held: boolean;
  text: string;
}

export interface VerifyReport {
  clean: boolean;
  window: TimeWindow;
  attestations: {
    valid: number;
    firstSeq: number | undefined;
    lastSeq: number | undefined;
    /** The store's own, or the bureau's copy. */
    source: 'store' | 'central';
  };
  findings: Finding[];
  devices: DeviceEvidence[];
  flags: PlausibilityFlag[];
  guarantees: Guarantee[];
}

const BUCKET_MS = 60_000;
const MIN_GAP_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export function storeAttestations(reader: SampleReader, gateway?: string): AttestationSource {
  return async function* (range) {
    const query = { ...range, device: ATTESTATION_DEVICE, tag: ATTESTATION_TAG };
    for await (const s of reader.samples(gateway === undefined ? query : { ...query, gateway }))
      yield { text: String(s.value), stamp: s.sourceTime };
  };
}

/** The first attestation of a range; the source's stream is closed after it. */
async function firstIn(source: AttestationSource, range: TimeWindow): Promise<StoredAttestation | undefined> {
  for await (const attestation of source(range)) return attestation;
  return undefined;
}

/**
 * The last attestation stamped in [before − lookbackMs, before): the chain's predecessor of the
 * window. The span is halved while its later half holds any (each probe reads one attestation),
 * then its last minute is read: a few dozen small reads, whether the look-back is a day or a year.
 */
async function latestBefore(
  source: AttestationSource,
  before: number,
  lookbackMs: number,
): Promise<StoredAttestation | undefined> {
  let [lo, hi] = [before - lookbackMs, before];
  if (!(await firstIn(source, { from: lo, to: hi }))) return undefined;
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 2);
    if (await firstIn(source, { from: mid, to: hi })) lo = mid;
    else hi = mid;
  }
  let last: StoredAttestation | undefined;
  for await (const attestation of source({ from: lo, to: hi })) last = attestation;
  return last;
}

/**
 * The newest of the gateway's own attestations the store holds, stamped in [before − lookbackMs,
 * before): how far the store's sink has delivered (it writes an attestation after its points).
 */
export function newestStoreAttestation(
  reader: SampleReader,
  gatewayId: string | undefined,
  before: number,
  lookbackMs: number,
): Promise<StoredAttestation | undefined> {
  return latestBefore(storeAttestations(reader, gatewayId), before, lookbackMs);
}

/**
 * Against the bureau's copy, attested points missing from the store from its newest own attestation
 * on (within the clock tolerance: a slice's points come before its stamp) have not reached it yet,
 * or were deleted with their attestations: `undelivered`, not `deleted`.
 */
async function undeliveredAfter(
  reader: SampleReader,
  gatewayId: string | undefined,
  range: TimeWindow,
  lookbackMs: number,
  toleranceMs: number,
): Promise<{ after: number; store: string }> {
  const newest = await newestStoreAttestation(
    reader,
    gatewayId,
    range.to,
    range.to - range.from + lookbackMs,
  );
  if (!newest)
    return { after: Number.NEGATIVE_INFINITY, store: 'which holds no attestation of this gateway' };
  let seq: unknown;
  try {
    seq = (JSON.parse(newest.text) as { seq?: unknown }).seq;
  } catch {
    seq = undefined;
  }
  const which = typeof seq === 'number' ? `seq ${seq}` : 'one';
  return {
    after: newest.stamp - toleranceMs,
    store: `whose newest attestation of this gateway is ${which} of ${new Date(newest.stamp).toISOString()}`,
  };
}

/** One device's pass over its points. */
interface DevicePass {
  coverage: DeviceCoverage;
  evidence: DeviceEvidence;
}

export async function verifyStore(options: VerifyOptions): Promise<VerifyReport> {
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  const { window, reader, gatewayId } = options;
  const scope = gatewayId === undefined ? {} : { gateway: gatewayId };
  const sliceMs = options.sliceMs ?? 3_600_000;
  const source = options.attestations ?? storeAttestations(reader, gatewayId);

  // A device clock ahead of the gateway's (within the tolerance) puts points in the window that an
  // attestation stamped just before it vouches for; points are read later, by their clusters.
  const range = { from: window.from - tolerance, to: window.to + (options.lookaheadMs ?? 60 * 60_000) };
  const lookbackMs = options.headLookbackMs ?? 31 * DAY_MS;
  const head = await latestBefore(source, range.from, lookbackMs);
  /** The predecessor, then the range: both passes and the refinement read the same, in the same order. */
  async function* attestations(to: number): AsyncIterable<StoredAttestation> {
    if (head) yield head;
    yield* source({ from: range.from, to });
  }
  const attestationPass = async (lazy: boolean) => {
    const checker = new ChainChecker(options.publicKey, gatewayId, tolerance, lazy);
    const coarse = new Map<string, CoarseClusters>();
    let lastStamp = range.from - 1;
    let headFound = false;
    for await (const { text, stamp } of attestations(range.to)) {
      lastStamp = stamp;
      const attestation = checker.add(text, stamp);
      if (!attestation) continue;
      if (head && stamp === head.stamp && text === head.text) headFound = true;
      for (const share of attestation.devices) {
        const device = coarse.get(share.device) ?? new CoarseClusters(sliceMs, window.from);
        coarse.set(share.device, device);
        device.add(share);
      }
    }
    return {
      chain: checker.finish({ lookbackMs, found: headFound }),
      lazyFailed: checker.lazyFailed,
      coarse,
      lastStamp,
      headFound,
    };
  };
  let pass = await attestationPass(true);
  // A signature failed: some attestation already summed may be forged; count again, checking each.
  const lazy = !pass.lazyFailed;
  if (!lazy) pass = await attestationPass(false);
  const { chain, coarse, lastStamp } = pass;
  const findings = chain.findings;

  // Which devices the store holds in the window: attested ones and any others.
  const devices = new Set(coarse.keys());
  for (const summary of await reader.summarize({ ...window, ...scope }))
    if (summary.device !== ATTESTATION_DEVICE) devices.add(summary.device);

  const now = (options.now ?? Date.now)();
  const offline = new OfflineWatch(chain.times);
  const watch = new SignalWatch({ window, ...(options.tags ? { catalog: options.tags } : {}) });
  const passes = new Map<string, DevicePass>();
  const timeFindings = new Map<string, Finding>();
  for (const device of [...devices].sort()) {
    let future = 0;
    passes.set(
      device,
      await passPoints(reader, scope, device, window, coarse.get(device)?.list ?? [], (sample) => {
        watch.add(sample);
        if (sample.sourceTime > now + tolerance || sample.sourceTime > sample.receivedAt + tolerance)
          future += 1;
        offline.add(sample);
      }),
    );
    if (future > 0) {
      timeFindings.set(device, {
        kind: 'future',
        device,
        message: `${device}: ${future} points carry a time in the future (after the time they were received, or after now, beyond ${tolerance / 1000} s)`,
      });
    }
  }

  await refine(reader, scope, window, passes, options.refineShareLimit ?? 500_000, async (wanted) => {
    // The same attestations as the first pass, in the same order: the same ones count.
    const replay = new ChainChecker(options.publicKey, gatewayId, tolerance, lazy);
    for await (const { text, stamp } of attestations(lastStamp + 1)) {
      const attestation = replay.add(text, stamp);
      if (attestation) for (const share of attestation.devices) wanted(share);
    }
  });
  const central = options.central === true;
  const missing = [...passes.values()].some((p) =>
    p.coverage.mismatched(window).some((c) => c.seen < c.count),
  );
  // A store that keeps no attestations (VictoriaMetrics) cannot say how far its sink delivered.
  const undelivered =
    central && missing && reader.holdsAttestations !== false
      ? await undeliveredAfter(reader, gatewayId, range, lookbackMs, tolerance)
      : undefined;
  for (const [device, pass] of passes) {
    findings.push(...pass.coverage.findings(window, undelivered));
    const timeFinding = timeFindings.get(device);
    if (timeFinding) findings.push(timeFinding);
  }

  return {
    clean: findings.every((f) => CLEAN_KINDS.has(f.kind)),
    window,
    attestations: {
      valid: chain.valid,
      firstSeq: chain.firstSeq,
      lastSeq: chain.lastSeq,
      source: central ? 'central' : 'store',
    },
    findings,
    devices: [...passes.values()].map((p) => p.evidence),
    flags: [
      ...offline.flags(),
      ...(await watch.flags((device, tag, before) => reader.samples({ ...before, ...scope, device, tag }))),
    ],
    guarantees: guarantees(chain, pass.headFound ? head : undefined, lookbackMs, central),
  };
}

/** Which guarantees held for this run, in plain words. */
function guarantees(
  chain: ChainSummary,
  head: StoredAttestation | undefined,
  lookbackMs: number,
  central: boolean,
): Guarantee[] {
  const days = Math.round((lookbackMs / DAY_MS) * 10) / 10;
  const headSeq = head ? (JSON.parse(head.text) as { seq: number }).seq : undefined;
  const headTied = head !== undefined || chain.firstSeq === 1;
  return [
    {
      id: 'points',
      held: true,
      text: 'Points deleted, inserted or altered inside attested spans, and points no attestation covers, are found.',
    },
    {
      id: 'head',
      held: headTied,
      text: headTied
        ? `A deletion at the start of the window, attestations included, is found: the chain is followed from ${head ? `seq ${headSeq}, the last attestation before the window (${new Date(head.stamp).toISOString()})` : 'its first attestation (seq 1), in the window'}.`
        : `A deletion at the start of the window cannot be ruled out: no attestation in the ${days} days before it ties the chain to earlier data.`,
    },
    {
      id: 'tail',
      held: central,
      text: central
        ? "A deletion of the newest data together with its attestations is found: the attestations are the bureau's copy."
        : "A deletion of the newest data together with its attestations cannot be seen without the bureau's copy (--central).",
    },
  ];
}

/**
 * Replaces each device's pass by one against fine clusters where its coarse clusters did not match,
 * as many mismatched slices as `limit` shares allow (the others stay reported by slice).
 */
async function refine(
  reader: SampleReader,
  scope: { gateway?: string },
  window: TimeWindow,
  passes: Map<string, DevicePass>,
  limit: number,
  replay: (wanted: (share: DeviceShare) => void) => Promise<void>,
): Promise<void> {
  const chosen = new Map<string, Map<Cluster, DeviceShare[]>>();
  let budget = limit;
  for (const [device, pass] of passes) {
    for (const c of pass.coverage.mismatched(window)) {
      if (c.shares > budget) continue;
      budget -= c.shares;
      const byCluster = chosen.get(device) ?? new Map<Cluster, DeviceShare[]>();
      chosen.set(device, byCluster);
      byCluster.set(c, []);
    }
  }
  if (chosen.size === 0) return;
  await replay((share) => {
    const byCluster = chosen.get(share.device);
    if (!byCluster) return;
    for (const [c, shares] of byCluster) if (share.to >= c.lo && share.from <= c.hi) shares.push(share);
  });
  for (const [device, byCluster] of chosen) {
    const pass = passes.get(device) as DevicePass;
    const list = pass.coverage.clusters.flatMap((c) => {
      const shares = byCluster.get(c);
      return shares ? clusters(shares) : [{ ...c, seen: 0, seenDigest: new MultisetHash() }];
    });
    passes.set(device, await passPoints(reader, scope, device, window, list));
  }
}

/** Reads a device's points once, against its clusters; `each` sees every point in the window. */
async function passPoints(
  reader: SampleReader,
  scope: { gateway?: string },
  device: string,
  window: TimeWindow,
  list: readonly Cluster[],
  each?: (sample: StoredSample) => void,
): Promise<DevicePass> {
  const coverage = new DeviceCoverage(device, list);
  const collector = new EvidenceCollector(device, window, BUCKET_MS);
  for await (const sample of reader.samples({ ...readSpan(window, list), ...scope, device })) {
    const attested = coverage.add(sample);
    collector.add(sample.sourceTime, attested);
    if (each && sample.sourceTime >= window.from && sample.sourceTime < window.to) each(sample);
  }
  return { coverage, evidence: collector.summary(MIN_GAP_MS) };
}

export function renderReport(report: VerifyReport): string {
  const iso = (t: number | undefined) => (t === undefined ? '—' : new Date(t).toISOString());
  const lines = [
    `Verification of ${iso(report.window.from)} – ${iso(report.window.to)}: ${report.clean ? 'CLEAN' : 'NOT CLEAN'}`,
    `Attestations: ${report.attestations.valid} valid (seq ${report.attestations.firstSeq ?? '—'} – ${report.attestations.lastSeq ?? '—'}), from ${report.attestations.source === 'central' ? "the bureau's copy" : 'the store'}`,
    '',
    'Guarantees of this run:',
    ...report.guarantees.map((g) => `  [${g.held ? 'held' : 'not held'}] ${g.text}`),
    '',
    report.findings.length === 0 ? 'Findings: none' : `Findings (${report.findings.length}):`,
    ...report.findings.map((f) => `  [${f.kind}] ${f.message}`),
    '',
    'Evidence per device:',
    ...report.devices.map(
      (d) =>
        `  ${d.device}: ${d.attestedPoints} attested points, coverage ${d.coveragePercent}%, first ${iso(d.firstAttested)}, last ${iso(d.lastAttested)}` +
        (d.gaps.length > 0 ? `, gaps: ${d.gaps.map((g) => `${iso(g.from)} – ${iso(g.to)}`).join('; ')}` : ''),
    ),
  ];
  if (report.flags.length > 0)
    lines.push(
      '',
      'Plausibility flags (for a person to judge):',
      ...report.flags.map((f) => `  [${f.kind}] ${f.message}`),
    );
  return `${lines.join('\n')}\n`;
}
