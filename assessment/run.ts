/**
 * What `shugai assess` and its record subcommands share: an answers file scored against its edition,
 * with evidence from a gateway config and a store over a window when all three are given, and the
 * report written as JSON, HTML or PDF.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { rethrowInput } from '../core/input.ts';
import type { Device } from '../core/model.ts';
import { parseYamlValue } from '../core/yaml.ts';
import { openStore } from '../gateway/attest/cli.ts';
import type { VerifyReport } from '../gateway/attest/verify.ts';
import { ConfigError, formatPath } from '../gateway/config/errors.ts';
import { type ParsedYaml, readYaml } from '../gateway/config/load.ts';
import { type GatewayConfig, validateGatewayConfig } from '../gateway/config/schema.ts';
import type { SampleReader, TimeWindow } from '../gateway/store/reader.ts';
import { type Answers, parseAnswers, readAnswersFile } from './answers.ts';
import { loadCatalogue } from './catalogue/load.ts';
import { AssessmentError } from './errors.ts';
import { type Evidence, type Integrity, measureEvidence } from './evidence/measure.ts';
import type { OutcomeSpec } from './evidence/outcomes.ts';
import { htmlToPdf } from './pdf.ts';
import { matchRegister, placeInConfig } from './register/match.ts';
import { readRegisterFile } from './register/read.ts';
import { type AssessmentReport, buildReport } from './report.ts';

export const badArgument = (message: string) => new AssessmentError('SHUGAI_EVIDENCE_INVALID', message);

/** A date is midnight China Standard Time; a date-time must carry its offset (Z or ±hh:mm). */
function parseInstant(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00+08:00` : text;
  const ms = /(Z|[+-]\d{2}:\d{2})$/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms))
    throw badArgument(`--window: "${text}" is not a date (YYYY-MM-DD) or a date-time with offset`);
  return ms;
}

export function parseWindow(text: string): TimeWindow {
  const parts = text.split('..');
  if (parts.length !== 2) throw badArgument(`--window: expected FROM..TO, got "${text}"`);
  const window = { from: parseInstant(parts[0]!), to: parseInstant(parts[1]!) };
  if (window.to <= window.from) throw badArgument(`--window: ${text} ends before it starts`);
  return window;
}

export interface EvidenceOptions {
  config?: string;
  store?: string;
  window?: string;
  outcomes?: string;
  /** The gateway's registered public key: the store is verified against its attestations too. */
  pubkey?: string;
  /** The enterprise's equipment register (设备台账): the denominator of the rates. */
  register?: string;
}

const SHOWN_FINDINGS = 20;

/** `shugai verify` over the assessment window, summarised for the evidence. */
async function integrityOf(
  reader: SampleReader,
  pubkey: string,
  config: GatewayConfig,
  devices: readonly Device[],
  window: TimeWindow,
): Promise<Integrity> {
  const [{ loadPublicKey }, { verifyStore }, { tagCatalog }] = await Promise.all([
    import('../gateway/attest/identity.ts'),
    import('../gateway/attest/verify.ts'),
    import('../gateway/attest/plausibility.ts'),
  ]);
  const gateway = config.gateway.id;
  let publicKey: ReturnType<typeof loadPublicKey>;
  try {
    publicKey = loadPublicKey(pubkey);
  } catch (error) {
    throw badArgument(`--pubkey ${pubkey}: ${(error as Error).message}`);
  }
  const report = await verifyStore({
    reader,
    publicKey,
    gatewayId: gateway,
    window,
    tags: tagCatalog(devices, config.derived),
  });
  return integritySummary(gateway, report);
}

/** A verifier's report kept short (the first findings in full, the rest counted), for a report or a verification. */
export function integritySummary(gateway: string, report: VerifyReport): Integrity {
  const iso = (t: number) => new Date(t).toISOString();
  const findingCounts: Record<string, number> = {};
  for (const f of report.findings) findingCounts[f.kind] = (findingCounts[f.kind] ?? 0) + 1;
  return {
    gateway,
    clean: report.clean,
    attestations: report.attestations,
    findingCounts,
    findings: report.findings.slice(0, SHOWN_FINDINGS).map((f) => ({
      kind: f.kind,
      ...(f.device ? { device: f.device } : {}),
      // The span (or the instant) it is about, for the report to say in Beijing time.
      ...(f.from === undefined ? {} : { from: iso(f.from) }),
      ...(f.to === undefined ? {} : { to: iso(f.to) }),
      ...(f.at === undefined ? {} : { at: iso(f.at) }),
      message: f.message,
    })),
    devices: report.devices.map((d) => ({
      device: d.device,
      coveragePercent: d.coveragePercent,
      ...(d.firstAttested === undefined ? {} : { firstAttested: iso(d.firstAttested) }),
      ...(d.lastAttested === undefined ? {} : { lastAttested: iso(d.lastAttested) }),
      gaps: d.gaps.length,
      unattestedPoints: d.unattestedPoints,
    })),
    flags: report.flags.map((f) => ({
      kind: f.kind,
      device: f.device,
      ...(f.tag === undefined ? {} : { tag: f.tag }),
      message: f.message,
    })),
    guarantees: report.guarantees.map((g) => ({ id: g.id, held: g.held })),
  };
}

const seriesList = z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'device/tag')).min(1);
const outcomesSchema = z.strictObject({
  /** The window before; the window after is --window. */
  before: z.string(),
  energy: z.strictObject({ energy: seriesList, output: seriesList }).optional(),
  quality: z.strictObject({ passed: seriesList, inspected: seriesList }).optional(),
  /** Relative change still read as 持平, e.g. "0.02" (2 %); quoted, so no float creeps in. */
  flatWithin: z
    .string()
    .regex(/^(0|0?\.\d+)$/, 'a decimal string from 0 to below 1, e.g. "0.02"')
    .optional(),
});

/** The --outcomes file: the window before, and the counters of energy, output, passed and inspected. */
function readOutcomes(file: string, after: TimeWindow, devices: readonly Device[]): OutcomeSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw badArgument(`--outcomes ${file}: ${(error as Error).message}`);
  }
  const data = rethrowInput(
    () => parseYamlValue(text, file),
    (message) => badArgument(`--outcomes ${message}`),
  );
  const parsed = outcomesSchema.safeParse(data);
  if (!parsed.success)
    throw badArgument(
      `--outcomes ${file}: ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
    );
  const { before, flatWithin, ...series } = parsed.data;
  const configured = new Set(devices.flatMap((d) => d.tags.map((t) => `${d.id}/${t.id}`)));
  const unknown = Object.values(series)
    .flatMap((group) => Object.values(group).flat())
    .filter((s) => !configured.has(s));
  if (unknown.length > 0)
    throw badArgument(`--outcomes ${file}: not a configured device/tag: ${unknown.join(', ')}`);
  return { before: parseWindow(before), after, ...series, ...(flatWithin ? { flatWithin } : {}) };
}

async function evidenceFrom(
  catalogue: ReturnType<typeof loadCatalogue>,
  options: EvidenceOptions,
): Promise<Evidence | null> {
  const given = [options.config, options.store, options.window].filter((o) => o !== undefined).length;
  if (given === 0) {
    if (options.outcomes)
      throw badArgument('--outcomes needs --config, --store and --window (the window after)');
    if (options.pubkey) throw badArgument('--pubkey needs --config, --store and --window');
    if (options.register) throw badArgument('--register needs --config, --store and --window');
    return null;
  }
  if (given !== 3)
    throw badArgument('evidence needs all of --config FILE, --store FILE and --window FROM..TO');
  const window = parseWindow(options.window!);
  let parsed: ParsedYaml;
  try {
    parsed = readYaml(options.config!);
  } catch (error) {
    if (error instanceof ConfigError) throw badArgument(error.message);
    throw error;
  }
  const { config, devices } = await gatewayDevices(parsed);
  // The register is read and the devices mapped onto it before the store is opened: errors name config lines.
  const register = options.register
    ? matchRegister(await readRegisterFile(options.register), devices, placeInConfig(parsed))
    : undefined;
  // samples.db (embedded store), http://host:8086/<database> (InfluxDB 1.x) or vm+http://host:8428
  // (VictoriaMetrics), as for `shugai verify`.
  // Scoped to this gateway: another gateway writing into the same database is not its evidence.
  const store = await openStore(options.store!, config.gateway.id);
  try {
    const outcomes = options.outcomes ? readOutcomes(options.outcomes, window, devices) : undefined;
    const evidence = await measureEvidence(catalogue, devices, store, window, options.store!, {
      ...(outcomes ? { outcomes } : {}),
      ...(register ? { register } : {}),
    });
    if (options.pubkey) {
      if (store.holdsAttestations === false)
        throw badArgument(
          `--store ${options.store}: this store keeps no attestations (VictoriaMetrics holds numbers): verify it with shugai verify --central, not --pubkey here`,
        );
      evidence.integrity = await integrityOf(store, options.pubkey, config, devices, window);
    }
    return evidence;
  } finally {
    await store.close();
  }
}

/**
 * A gateway config checked, with the devices its connections declare. A bad config is bad input like a
 * bad answers file (SHUGAI_EVIDENCE_INVALID, exit 2), with the config's own message naming its line.
 */
export async function gatewayDevices(
  parsed: ParsedYaml,
): Promise<{ config: GatewayConfig; devices: Device[] }> {
  // The drivers load only when evidence is asked for.
  const { PLUGINS } = await import('../collector/registry.ts');
  let config: GatewayConfig;
  try {
    config = validateGatewayConfig(parsed, PLUGINS);
  } catch (error) {
    if (error instanceof ConfigError) throw badArgument(error.message);
    throw error;
  }
  const devices = config.connections.flatMap((c) =>
    PLUGINS.find((p) => p.protocol === c.protocol)!.devices(c),
  );
  return { config, devices };
}

/** Reads, checks and scores an answers file; exit 2 for anything wrong with it. */
export async function assessFile(
  file: string,
  options: EvidenceOptions,
): Promise<{ answers: Answers; report: AssessmentReport }> {
  return assessInput(readAnswersFile(file), file, options);
}

/**
 * Checks and scores answers already read (from a file, or posted to the platform); `source` names
 * them in errors (`answers <source>: …`).
 */
export async function assessInput(
  input: unknown,
  source: string,
  options: EvidenceOptions,
): Promise<{ answers: Answers; report: AssessmentReport }> {
  const edition = (input as { edition?: unknown } | null)?.edition;
  if (typeof edition !== 'string') {
    throw new AssessmentError(
      'SHUGAI_ANSWERS_INVALID',
      `answers ${source}: edition: expected a string, e.g. "2024"`,
    );
  }
  const catalogue = loadCatalogue(edition);
  if (!catalogue.scorable) {
    throw new AssessmentError(
      'SHUGAI_EDITION_UNKNOWN',
      `answers ${source}: edition ${edition} has only its level bands in the catalogue; its items were not found`,
    );
  }
  const answers = parseAnswers(input, catalogue, source);
  return { answers, report: buildReport(catalogue, answers, await evidenceFrom(catalogue, options)) };
}

/** The assessing organisation on the report's first page; the answers' `organisation` when not given. */
export const ORGANISATION_OPTION = [
  '--organisation <name>',
  "the assessing organisation (评测机构) printed on the report (default: the answers file's organisation)",
] as const;

export const FORMAT_HELP = 'json, html or pdf (pdf needs --out; printed from the HTML by Chromium)';

/** Checks --format and --out before any work is done. */
export function checkFormat(options: { format: string; out?: string }): void {
  if (!['json', 'html', 'pdf'].includes(options.format))
    throw badArgument(`--format: expected json, html or pdf, got "${options.format}"`);
  if (options.format === 'pdf' && !options.out) throw badArgument('--format pdf needs --out FILE');
}

/**
 * Writes the JSON document, or the HTML (as PDF too), to --out or standard output; `html` gets the
 * report context the options give (--organisation).
 */
export async function emit(
  options: { format: string; out?: string; organisation?: string },
  json: unknown,
  html: (context: { organisation?: string }) => string,
): Promise<void> {
  const page = () => html(options.organisation ? { organisation: options.organisation } : {});
  if (options.format === 'pdf') {
    await htmlToPdf(page(), options.out as string);
    return;
  }
  const text = options.format === 'html' ? page() : `${JSON.stringify(json, null, 2)}\n`;
  if (options.out) writeFileSync(options.out, text);
  else process.stdout.write(text);
}
