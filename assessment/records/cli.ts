/**
 * `shugai assess record|attach|validate|report|compare`: the assessment workflow on a records folder.
 * Each step prints the record it wrote as a short JSON summary; a refused step exits 2 with why.
 */
import type { Command } from 'commander';
import { renderHtml } from '../report.ts';
import { assessFile, badArgument, checkFormat, emit, FORMAT_HELP, ORGANISATION_OPTION } from '../run.ts';
import { compareRecords } from './compare.ts';
import { type AssessmentRecord, RecordStore } from './store.ts';

function summary(store: RecordStore, r: AssessmentRecord) {
  return {
    id: r.id,
    version: r.version,
    stage: r.stage,
    file: store.fileOf(r.id, r.version),
    previous: r.previous,
    score: r.report.score,
    level: r.report.level,
    officialLevel: r.officialLevel,
    ...(r.validation ? { validation: r.validation } : {}),
  };
}
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** `ID@N` is version N of an assessment; `ID` alone is its latest version, or latest validated one. */
function pick(store: RecordStore, ref: string, validated?: string): AssessmentRecord {
  const match = /^(.+)@(\d+)$/.exec(ref);
  if (match) return store.get(match[1]!, Number(match[2]));
  if (validated === undefined) return store.get(ref);
  const versions = store.versions(ref);
  for (const v of versions.toReversed()) {
    const r = store.get(ref, v);
    if (r.validation) return r;
  }
  if (versions.length === 0) return store.get(ref); // says there is no such assessment
  throw badArgument(`${validated}: assessment "${ref}" has no validated version (name one as ${ref}@N)`);
}

const recordsOption = [
  '--records <dir>',
  'the folder of assessment records (one JSON file per version)',
] as const;

export function registerRecordCommands(assess: Command): void {
  assess
    .command('record')
    .description('record a self-assessment or the on-site assessment (a new assessment, or its next version)')
    .requiredOption('-a, --answers <file>', 'the answers file')
    .requiredOption('--stage <stage>', 'self (企业自评) or onsite (现场评测)')
    .requiredOption(...recordsOption)
    .option('--id <id>', 'the assessment to continue; a new one is created when omitted')
    .option('--assessor <name>', "the on-site assessor's name (required for --stage onsite)")
    .option('--config <file>', 'evidence: the gateway config (with --store and --window)')
    .option('--store <url>', 'evidence: samples.db or http://host:8086/<database>')
    .option('--window <from..to>', 'evidence: the assessment window')
    .option(
      '--outcomes <file>',
      'evidence: 绿色低碳/产品质量 after (--window) vs before (see assessment/README.md)',
    )
    .option('--pubkey <file>', "evidence: the gateway's registered key, to verify the store's data too")
    .option(
      '--register <file>',
      "evidence: the enterprise's equipment register (设备台账, .csv/.xlsx/.yaml), the rates' denominator",
    )
    .action(
      async (o: {
        answers: string;
        stage: string;
        records: string;
        id?: string;
        assessor?: string;
        config?: string;
        store?: string;
        window?: string;
        outcomes?: string;
        pubkey?: string;
        register?: string;
      }) => {
        if (o.stage !== 'self' && o.stage !== 'onsite')
          throw badArgument(
            `--stage: expected self or onsite, got "${o.stage}" (validation is \`assess validate\`)`,
          );
        const store = new RecordStore(o.records);
        const { answers, report } = await assessFile(o.answers, o);
        const record = store.record(o.id ?? store.newId(), {
          stage: o.stage,
          answers,
          report,
          ...(o.assessor ? { assessor: o.assessor } : {}),
        });
        print(summary(store, record));
      },
    );

  assess
    .command('attach')
    .description('attach a file to an item as evidence (kept by its sha256)')
    .requiredOption('--id <id>', 'the assessment')
    .requiredOption('--item <item>', 'the item it supports, e.g. network')
    .requiredOption('--file <file>', 'the file')
    .requiredOption('--description <text>', 'what it shows')
    .requiredOption('--effective-date <date>', 'the day it takes effect (YYYY-MM-DD), not the upload day')
    .requiredOption(...recordsOption)
    .action(
      (o: {
        id: string;
        item: string;
        file: string;
        description: string;
        effectiveDate: string;
        records: string;
      }) => {
        const store = new RecordStore(o.records);
        print(summary(store, store.attach(o.id, { ...o, effectiveDate: o.effectiveDate })));
      },
    );

  assess
    .command('validate')
    .description(
      'validate (sign off) the on-site assessment: its level becomes official and the record frozen',
    )
    .requiredOption('--id <id>', 'the assessment')
    .requiredOption('--by <name>', "the validator's name")
    .requiredOption(...recordsOption)
    .action((o: { id: string; by: string; records: string }) => {
      const store = new RecordStore(o.records);
      print(summary(store, store.validate(o.id, o.by)));
    });

  assess
    .command('report')
    .description('the report of a recorded assessment, with its stage, attachments and signatures')
    .requiredOption('--id <ref>', 'ID (its latest version) or ID@N')
    .requiredOption(...recordsOption)
    .option(...ORGANISATION_OPTION)
    .option('--format <format>', FORMAT_HELP, 'json')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(
      async (o: { id: string; records: string; organisation?: string; format: string; out?: string }) => {
        checkFormat(o);
        const store = new RecordStore(o.records);
        const record = pick(store, o.id);
        await emit(o, record, (context) => renderHtml(record.report, { record, ...context }));
      },
    );

  assess
    .command('compare')
    .description('before/after of two validated assessments of the same edition')
    .requiredOption('--before <ref>', 'ID (its latest validated version) or ID@N')
    .requiredOption('--after <ref>', 'ID (its latest validated version) or ID@N')
    .requiredOption(...recordsOption)
    .option(...ORGANISATION_OPTION)
    .option('--format <format>', FORMAT_HELP, 'json')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(
      async (o: {
        before: string;
        after: string;
        records: string;
        organisation?: string;
        format: string;
        out?: string;
      }) => {
        checkFormat(o);
        const store = new RecordStore(o.records);
        const after = pick(store, o.after, '--after');
        const comparison = compareRecords(pick(store, o.before, '--before'), after);
        await emit(o, comparison, (context) =>
          renderHtml(after.report, { record: after, comparison, ...context }),
        );
      },
    );
}
