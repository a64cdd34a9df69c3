/**
 * `shugai verify`: does the store hold exactly what the registered gateway attested? Signatures and
 * the chain (chain.ts), then every device's stored points against its attested clusters
 * (coverage.ts), timestamps, an evidence summary per device and plausibility flags.
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
import { ChainChecker } from './chain.ts';
import { type Cluster, CoarseClusters, clusters, DeviceCoverage, readSpan } from './coverage.ts';
import { type DeviceEvidence, EvidenceCollector } from './evidence.ts';
import { CLEAN_KINDS, type Finding } from './findings.ts';
import { offlinePeriods, type PlausibilityFlag, SignalWatch } from './plausibility.ts';

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
  publicKey: KeyObject;
  gatewayId?: string;
  window: TimeWindow;
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

export interface VerifyReport {
  clean: boolean;
  window: TimeWindow;
  attestations: { valid: number; firstSeq: number | undefined; lastSeq: number | undefined };
  findings: Finding[];
  devices: DeviceEvidence[];
  flags: PlausibilityFlag[];
}

const BUCKET_MS = 60_000;
const MIN_GAP_MS = 5 * 60_000;
const OFFLINE_MS = 10 * 60_000;

export function storeAttestations(reader: SampleReader): AttestationSource {
  return async function* (range) {
    for await (const s of reader.samples({ ...range, device: ATTESTATION_DEVICE, tag: ATTESTATION_TAG }))
      yield { text: String(s.value), stamp: s.sourceTime };
  };
}

/** One device's pass over its points. */
interface DevicePass {
  coverage: DeviceCoverage;
  evidence: DeviceEvidence;
}

export async function verifyStore(options: VerifyOptions): Promise<VerifyReport> {
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  const { window, reader } = options;
  const sliceMs = options.sliceMs ?? 3_600_000;
  const source = options.attestations ?? storeAttestations(reader);

  const range = { from: window.from, to: window.to + (options.lookaheadMs ?? 60 * 60_000) };
  const attestationPass = async (lazy: boolean) => {
    const checker = new ChainChecker(options.publicKey, options.gatewayId, tolerance, lazy);
    const coarse = new Map<string, CoarseClusters>();
    let lastStamp = range.from - 1;
    for await (const { text, stamp } of source(range)) {
      lastStamp = stamp;
      const attestation = checker.add(text, stamp);
      if (!attestation) continue;
      for (const share of attestation.devices) {
        const device = coarse.get(share.device) ?? new CoarseClusters(sliceMs);
        coarse.set(share.device, device);
        device.add(share);
      }
    }
    return { chain: checker.finish(), lazyFailed: checker.lazyFailed, coarse, lastStamp };
  };
  let pass = await attestationPass(true);
  // A signature failed: some attestation already summed may be forged; count again, checking each.
  const lazy = !pass.lazyFailed;
  if (!lazy) pass = await attestationPass(false);
  const { chain, coarse, lastStamp } = pass;
  const findings = chain.findings;

  // Which devices the store holds in the window: attested ones and any others.
  const devices = new Set(coarse.keys());
  for (const summary of await reader.summarize(window))
    if (summary.device !== ATTESTATION_DEVICE) devices.add(summary.device);

  const now = (options.now ?? Date.now)();
  const offline = offlinePeriods(chain.times, OFFLINE_MS);
  const watch = new SignalWatch();
  const flags: PlausibilityFlag[] = [];
  const passes = new Map<string, DevicePass>();
  const timeFindings = new Map<string, Finding>();
  for (const device of [...devices].sort()) {
    let future = 0;
    let whileOffline = 0;
    passes.set(
      device,
      await passPoints(reader, device, window, coarse.get(device)?.list ?? [], (sample) => {
        watch.add(sample);
        if (sample.sourceTime > now + tolerance || sample.sourceTime > sample.receivedAt + tolerance)
          future += 1;
        if (
          offline.some(
            ([a, b]) => sample.sourceTime > a + OFFLINE_MS / 2 && sample.sourceTime < b - OFFLINE_MS / 2,
          )
        )
          whileOffline += 1;
      }),
    );
    if (future > 0) {
      timeFindings.set(device, {
        kind: 'future',
        device,
        message: `${device}: ${future} points carry a time in the future (after the time they were received, or after now, beyond ${tolerance / 1000} s)`,
      });
    }
    if (whileOffline > 0) {
      flags.push({
        kind: 'reported_while_offline',
        device,
        message: `${device}: ${whileOffline} points have source times inside periods of ≥ ${OFFLINE_MS / 60_000} min without any attestation`,
      });
    }
  }

  await refine(reader, window, passes, options.refineShareLimit ?? 500_000, async (wanted) => {
    // The same attestations as the first pass, in the same order: the same ones count.
    const replay = new ChainChecker(options.publicKey, options.gatewayId, tolerance, lazy);
    for await (const { text, stamp } of source({ from: range.from, to: lastStamp + 1 })) {
      const attestation = replay.add(text, stamp);
      if (attestation) for (const share of attestation.devices) wanted(share);
    }
  });
  for (const [device, pass] of passes) {
    findings.push(...pass.coverage.findings(window));
    const timeFinding = timeFindings.get(device);
    if (timeFinding) findings.push(timeFinding);
  }

  return {
    clean: findings.every((f) => CLEAN_KINDS.has(f.kind)),
    window,
    attestations: { valid: chain.valid, firstSeq: chain.firstSeq, lastSeq: chain.lastSeq },
    findings,
    devices: [...passes.values()].map((p) => p.evidence),
    flags: [...flags, ...watch.flags()],
  };
}

/**
 * Replaces each device's pass by one against fine clusters where its coarse clusters did not match,
 * as many mismatched slices as `limit` shares allow (the others stay reported by slice).
 */
async function refine(
  reader: SampleReader,
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
    passes.set(device, await passPoints(reader, device, window, list));
  }
}

/** Reads a device's points once, against its clusters; `each` sees every point in the window. */
async function passPoints(
  reader: SampleReader,
  device: string,
  window: TimeWindow,
  list: readonly Cluster[],
  each?: (sample: StoredSample) => void,
): Promise<DevicePass> {
  const coverage = new DeviceCoverage(device, list);
  const collector = new EvidenceCollector(device, window, BUCKET_MS);
  for await (const sample of reader.samples({ ...readSpan(window, list), device })) {
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
    `Attestations: ${report.attestations.valid} valid (seq ${report.attestations.firstSeq ?? '—'} – ${report.attestations.lastSeq ?? '—'})`,
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
