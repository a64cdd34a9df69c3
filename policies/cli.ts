/**
 * `shugai policy list` and `shugai payout`: the command-line contract bureaus script against.
 * Exit 0 when a payout is computed (eligible or not); 2 when a case is invalid, a parameter is
 * missing or invalid, or the measure is unknown or ambiguous (the message names which).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { rethrowInput } from '../core/input.ts';
import { parseJsonStrict } from '../core/json.ts';
import { readBatch } from './batch.ts';
import { type PayoutResult, PolicyBook } from './engine/book.ts';
import { renderHtml, renderText } from './engine/render.ts';
import { PolicyError } from './errors.ts';

function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new PolicyError('SHUGAI_PARAMETER_INVALID', `--param ${value}: expected NAME=VALUE`);
  const name = value.slice(0, at);
  if (name in previous) throw new PolicyError('SHUGAI_PARAMETER_INVALID', `--param ${name} is given twice`);
  return { ...previous, [name]: value.slice(at + 1) };
}

function readCase(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError(
      'SHUGAI_CASE_INVALID',
      `cannot read case file ${file}: ${(error as Error).message}`,
    );
  }
  return rethrowInput(
    () => parseJsonStrict(text, file),
    (message) => new PolicyError('SHUGAI_CASE_INVALID', `case file ${message}`),
  );
}

/** Writes a line to stdout, waiting when the pipe is full, so a 100,000-line batch never piles up in memory. */
async function writeLine(text: string): Promise<void> {
  if (!process.stdout.write(`${text}\n`))
    await new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function runBatch(
  book: PolicyBook,
  file: string,
  defaults: { measure: string | undefined; params: Record<string, string>; trace: boolean },
): Promise<void> {
  let computed = 0;
  let failed = 0;
  for await (const item of readBatch(file)) {
    let out: ({ line: number } & PayoutResult) | { line: number; error: { code: string; message: string } };
    try {
      if (item.error) throw item.error;
      const options = { params: { ...defaults.params, ...item.params }, trace: defaults.trace };
      const measure = item.measure ?? defaults.measure;
      const result = measure
        ? book.compute(measure, item.case, options)
        : book.computeAuto(item.case, options);
      out = { line: item.line, ...result };
      computed++;
    } catch (error) {
      if (!(error instanceof PolicyError) || error.exitCode !== 2) throw error;
      out = { line: item.line, error: { code: error.code, message: error.message } };
      failed++;
    }
    await writeLine(JSON.stringify(out));
  }
  process.stderr.write(
    `shugai payout: ${computed} computed, ${failed} failed (see the lines with "error")\n`,
  );
  if (failed > 0) process.exitCode = 2;
}

export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command('policy')
    .description('subsidy policies: the measures of the seed documents');
  policy
    .command('list')
    .description('list every measure with its document, article and validity')
    .option('--json', 'print a JSON array of {id, document, article, title, validFrom, validTo, industries}')
    .option(
      '-p, --param <NAME=VALUE>',
      'a parameter a validity depends on (hebi.publishedOn)',
      collectParam,
      {},
    )
    .action((options: { json?: boolean; param: Record<string, string> }) => {
      const measures = PolicyBook.load().list(options.param);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(measures, null, 2)}\n`);
        return;
      }
      for (const m of measures) {
        const validity = m.validityParameter
          ? `有效期取决于 --param ${m.validityParameter}`
          : `${m.validFrom} 至 ${m.validTo ?? '(无截止日期)'}`;
        const industries = m.industries.map(
          (i) => `${i.wording}(${i.codes.map((c) => `${c.code} ${c.name}`).join('、')})`,
        );
        process.stdout.write(
          `${m.id}\t${m.document} ${m.article}\t${validity}\t${m.title}${industries.length ? `\t行业:${industries.join('、')}` : ''}\n`,
        );
      }
    });

  program
    .command('payout')
    .description('compute a subsidy payout with its explanation (计算说明)')
    .option(
      '-m, --measure <id>',
      'measure id (see `shugai policy list`); without it, the one measure that claims the case',
    )
    .option('-c, --case <file>', 'the case file (JSON, see policies/README.md)')
    .option('-b, --batch <file>', 'many cases, .csv or .jsonl: one JSON result per line on stdout')
    .option('-p, --param <NAME=VALUE>', 'a parameter the document leaves open (repeatable)', collectParam, {})
    .option('--json', 'print {measure, eligible, amount, reasons, split, trace} as JSON')
    .option('--html', 'print the 计算说明 as an HTML page')
    .option('--no-trace', 'batch only: leave the trace out of each line')
    .action(
      async (options: {
        measure?: string;
        case?: string;
        batch?: string;
        param: Record<string, string>;
        json?: boolean;
        html?: boolean;
        trace: boolean;
      }) => {
        if ((options.case === undefined) === (options.batch === undefined)) {
          throw new PolicyError('SHUGAI_CASE_INVALID', 'pass exactly one of --case FILE or --batch FILE');
        }
        const book = PolicyBook.load();
        book.checkParams(options.param);
        if (options.batch !== undefined) {
          await runBatch(book, options.batch, {
            measure: options.measure,
            params: options.param,
            trace: options.trace,
          });
          return;
        }
        const input = readCase(options.case!);
        const result = options.measure
          ? book.compute(options.measure, input, { params: options.param })
          : book.computeAuto(input, { params: options.param });
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(options.html ? renderHtml(result) : renderText(result));
      },
    );
}
