/**
 * `shugai verify`: does the store hold exactly what the registered gateway attested? Signatures and
 * the chain first (chain.ts), then every device's stored points against its attested clusters
 * (coverage.ts), timestamps, an evidence summary per device and plausibility flags.
 */
import type { KeyObject } from 'node:crypto';
import type { StoredSample } from '../sinks/sink.ts';
import type { SampleReader, TimeWindow } from '../store/reader.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG, type DeviceShare } from './attestation.ts';
import { checkChain } from './chain.ts';
import { clusters, DeviceCoverage } from './coverage.ts';
import { type DeviceEvidence, EvidenceCollector } from './evidence.ts';
import { CLEAN_KINDS, type Finding } from './findings.ts';
import { offlinePeriods, type PlausibilityFlag, SignalWatch } from './plausibility.ts';

export interface VerifyOptions {
  reader: SampleReader;
  publicKey: KeyObject;
  gatewayId?: string;
  window: TimeWindow;
  /** Clock differences below this are not findings (ms). */
  toleranceMs?: number;
  /** How long after the window attestations may still vouch for its points (ms). */
  lookaheadMs?: number;
  now?: () => number;
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

export async function verifyStore(options: VerifyOptions): Promise<VerifyReport> {
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  const window = options.window;
  const lookahead = options.lookaheadMs ?? 60 * 60_000;
  const attestationSamples: StoredSample[] = [];
  for await (const s of options.reader.samples({
    from: window.from,
    to: window.to + lookahead,
    device: ATTESTATION_DEVICE,
    tag: ATTESTATION_TAG,
  })) {
    attestationSamples.push(s);
  }
  const { valid, findings } = checkChain(attestationSamples, options.publicKey, options.gatewayId, tolerance);

  const shares = new Map<string, DeviceShare[]>();
  for (const { attestation } of valid) {
    for (const share of attestation.devices) {
      const list = shares.get(share.device);
      if (list) list.push(share);
      else shares.set(share.device, [share]);
    }
  }
  // Which devices the store holds in the window: attested ones and any others.
  const devices = new Set(shares.keys());
  for (const summary of await options.reader.summarize(window))
    if (summary.device !== ATTESTATION_DEVICE) devices.add(summary.device);

  const now = (options.now ?? Date.now)();
  const offline = offlinePeriods(
    valid.map((v) => v.attestation.time),
    OFFLINE_MS,
  );
  const evidence: DeviceEvidence[] = [];
  const watch = new SignalWatch();
  const flags: PlausibilityFlag[] = [];
  for (const device of [...devices].sort()) {
    const deviceClusters = clusters(shares.get(device) ?? []);
    const coverage = new DeviceCoverage(device, deviceClusters);
    const collector = new EvidenceCollector(device, window, BUCKET_MS);
    // Read the whole span of clusters that reach into the window, so a cluster is compared whole.
    const inWindow = deviceClusters.filter((c) => c.to >= window.from && c.from < window.to);
    // Loops, not Math.min(...): a week of 1 s batches is more arguments than a call may take.
    let from = window.from;
    let to = window.to;
    for (const c of inWindow) {
      from = Math.min(from, c.from);
      to = Math.max(to, c.to + 1);
    }
    let future = 0;
    let whileOffline = 0;
    for await (const sample of options.reader.samples({ from, to, device })) {
      const attested = coverage.add(sample);
      collector.add(sample.sourceTime, attested);
      if (sample.sourceTime >= window.from && sample.sourceTime < window.to) watch.add(sample);
      if (sample.sourceTime > now + tolerance || sample.sourceTime > sample.receivedAt + tolerance)
        future += 1;
      if (
        offline.some(
          ([a, b]) => sample.sourceTime > a + OFFLINE_MS / 2 && sample.sourceTime < b - OFFLINE_MS / 2,
        )
      )
        whileOffline += 1;
    }
    findings.push(...coverage.findings(window));
    if (future > 0) {
      findings.push({
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
    evidence.push(collector.summary(MIN_GAP_MS));
  }
  flags.push(...watch.flags());
  const bySeq = valid.map((v) => v.attestation.seq);
  return {
    clean: findings.every((f) => CLEAN_KINDS.has(f.kind)),
    window,
    attestations: { valid: valid.length, firstSeq: bySeq[0], lastSeq: bySeq.at(-1) },
    findings,
    devices: evidence,
    flags,
  };
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
