/**
 * `shugai assess`: score an answers file, optionally with evidence from a gateway config and its
 * embedded store over a window. Exit 0 when a result is computed (with or without a level); 2 when
 * the answers or the arguments are invalid (the message names the field); 1 otherwise.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openStore } from '../gateway/attest/cli.ts';
import { ConfigError } from '../gateway/config/errors.ts';
import { loadGatewayConfig } from '../gateway/config/schema.ts';
import type { TimeWindow } from '../gateway/store/reader.ts';
import { parseAnswers, readAnswersFile } from './answers.ts';
import { loadCatalogue } from './catalogue/load.ts';
import { AssessmentError } from './errors.ts';
import { crossCheck, type Evidence, measureEvidence } from './evidence/measure.ts';
import { analyseGap } from './gap.ts';
import { htmlToPdf } from './pdf.ts';
import { type AssessmentReport, renderHtml } from './report.ts';
import { score } from './score.ts';

const badArgument = (message: string) => new AssessmentError('SHUGAI_EVIDENCE_INVALID', message);

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

async function evidenceFrom(
  catalogue: ReturnType<typeof loadCatalogue>,
  options: { config?: string; store?: string; window?: string },
): Promise<Evidence | null> {
  const given = [options.config, options.store, options.window].filter((o) => o !== undefined).length;
  if (given === 0) return null;
  if (given !== 3)
    throw badArgument('evidence needs all of --config FILE, --store FILE and --window FROM..TO');
  const window = parseWindow(options.window!);
  // The drivers load only when evidence is asked for.
  const { PLUGINS } = await import('../collector/registry.ts');
  let config: ReturnType<typeof loadGatewayConfig>;
  try {
    config = loadGatewayConfig(options.config!, PLUGINS);
  } catch (error) {
    // A bad --config is bad input like a bad answers file: exit 2, with the config's own message.
    if (error instanceof ConfigError) throw badArgument(error.message);
    throw error;
  }
  const devices = config.connections.flatMap((c) =>
    PLUGINS.find((p) => p.protocol === c.protocol)!.devices(c),
  );
  // samples.db (embedded store) or http://host:8086/<database> (InfluxDB 1.x), as for `shugai verify`.
  const store = await openStore(options.store!);
  try {
    return await measureEvidence(catalogue, devices, store, window, options.store!);
  } finally {
    await store.close();
  }
}

export function registerAssess(program: Command): void {
  program
    .command('assess')
    .description(
      'score an enterprise on the digital-level indicators (数字化水平评测), with evidence from machine data',
    )
    .requiredOption('-a, --answers <file>', 'the answers file (YAML or JSON, see assessment/README.md)')
    .option('--config <file>', 'the gateway config whose devices count (with --store and --window)')
    .option(
      '--store <url>',
      'the store to measure from: samples.db (embedded) or http://host:8086/<database> (InfluxDB 1.x)',
    )
    .option('--window <from..to>', 'the assessment window, e.g. 2024-10-01..2024-11-01 (dates in China time)')
    .option(
      '--format <format>',
      'json, html or pdf (pdf needs --out; printed from the HTML by Chromium)',
      'json',
    )
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(
      async (options: {
        answers: string;
        config?: string;
        store?: string;
        window?: string;
        format: string;
        out?: string;
      }) => {
        if (!['json', 'html', 'pdf'].includes(options.format))
          throw badArgument(`--format: expected json, html or pdf, got "${options.format}"`);
        if (options.format === 'pdf' && !options.out) throw badArgument('--format pdf needs --out FILE');
        const input = readAnswersFile(options.answers);
        const edition = (input as { edition?: unknown } | null)?.edition;
        if (typeof edition !== 'string') {
          throw new AssessmentError(
            'SHUGAI_ANSWERS_INVALID',
            `answers ${options.answers}: edition: expected a string, e.g. "2024"`,
          );
        }
        const catalogue = loadCatalogue(edition);
        if (!catalogue.scorable) {
          throw new AssessmentError(
            'SHUGAI_EDITION_UNKNOWN',
            `answers ${options.answers}: edition ${edition} has only its level bands in the catalogue; its items were not found`,
          );
        }
        const answers = parseAnswers(input, catalogue, options.answers);
        const result = score(catalogue, answers);
        const evidence = await evidenceFrom(catalogue, options);
        const report: AssessmentReport = {
          ...result,
          gap: analyseGap(catalogue, result),
          evidence,
          flags: evidence ? crossCheck(result, evidence) : [],
        };
        if (options.format === 'pdf') {
          await htmlToPdf(renderHtml(report), options.out as string);
          return;
        }
        const text = options.format === 'html' ? renderHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
        if (options.out) writeFileSync(options.out, text);
        else process.stdout.write(text);
      },
    );
}
