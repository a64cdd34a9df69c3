/**
 * `shugai assess`: score an answers file, optionally with evidence from a gateway config and its
 * store over a window (the rates against the enterprise's equipment register with --register); its
 * subcommands (records/cli.ts) keep assessments through self-assessment, on-site assessment and
 * validation, and compare two validated ones. Exit 0 when a result is computed (with or without a
 * level); 2 when the answers or the arguments are invalid (the message names the field) or a workflow
 * step is refused; 1 otherwise.
 */
import type { Command } from 'commander';
import { registerRecordCommands } from './records/cli.ts';
import { renderHtml } from './report.ts';
import { assessFile, badArgument, checkFormat, emit, FORMAT_HELP, ORGANISATION_OPTION } from './run.ts';

export function registerAssess(program: Command): void {
  const assess = program
    .command('assess')
    .description(
      'score an enterprise on the digital-level indicators (数字化水平评测), with evidence from machine data',
    )
    // Subcommands take their own --answers, --format and --out: options stay with the command they follow.
    .enablePositionalOptions()
    .option('-a, --answers <file>', 'the answers file (YAML or JSON, see assessment/README.md)')
    .option('--config <file>', 'the gateway config whose devices count (with --store and --window)')
    .option(
      '--store <url>',
      'the store to measure from: samples.db (embedded), http://host:8086/<database> (InfluxDB 1.x) or vm+http://host:8428 (VictoriaMetrics)',
    )
    .option('--window <from..to>', 'the assessment window, e.g. 2024-10-01..2024-11-01 (dates in China time)')
    .option(
      '--outcomes <file>',
      '绿色低碳/产品质量 after vs before: YAML with the window before and the energy/output/passed/inspected counters',
    )
    .option(
      '--pubkey <file>',
      "the gateway's registered public key: also verify the store against its signed attestations over the window",
    )
    .option(
      '--register <file>',
      "the enterprise's equipment register (设备台账: .csv, .xlsx or .yaml): the rates count all its production devices, not only the config's",
    )
    .option(...ORGANISATION_OPTION)
    .option('--format <format>', FORMAT_HELP, 'json')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(
      async (options: {
        answers?: string;
        config?: string;
        store?: string;
        window?: string;
        outcomes?: string;
        pubkey?: string;
        register?: string;
        organisation?: string;
        format: string;
        out?: string;
      }) => {
        checkFormat(options);
        if (!options.answers) throw badArgument('--answers FILE is required (or a subcommand: see --help)');
        const { report } = await assessFile(options.answers, options);
        await emit(options, report, (context) => renderHtml(report, context));
      },
    );
  registerRecordCommands(assess);
}
