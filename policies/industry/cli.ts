/**
 * `shugai industry find|show|check`: GB/T 4754-2017 codes for the person filling in a case. Words
 * become candidates to confirm, never a match. Exit 0 with an answer; 2 for a code not in the table,
 * an unknown measure, a code too coarse for the measure, or words that match nothing.
 */
import type { Command } from 'commander';
import { PolicyError } from '../errors.ts';
import { checkIndustry, describeIndustry, findIndustries, type IndustryEntry } from './index.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);
const path = (ancestors: IndustryEntry[]) => ancestors.map((a) => `${a.code} ${a.name}`).join(' › ');
const doubt = (e: IndustryEntry) => (e.unverified ? ` [unverified: ${e.unverified}]` : '');

export function registerIndustryCommands(program: Command): void {
  const industry = program
    .command('industry')
    .description(
      'GB/T 4754-2017 industry codes: find a code for words, show a code, check it against a measure',
    );

  industry
    .command('find')
    .description(
      'candidate codes for words (电动工具, 园林工具, 保温杯) or a code: confirm one, then write it in the case',
    )
    .argument('<text...>', 'what the enterprise calls its industry')
    .option('--json', 'print [{code, name, level, ancestors, via}]')
    .action((words: string[], options: { json?: boolean }) => {
      const text = words.join(' ');
      const candidates = findIndustries(text);
      if (candidates.length === 0) {
        throw new PolicyError(
          'SHUGAI_INDUSTRY_INVALID',
          `no GB/T 4754-2017 code, name or common name matches ${text}; try a shorter word (e.g. the product)`,
        );
      }
      if (options.json) {
        out(JSON.stringify(candidates, null, 2));
        return;
      }
      for (const c of candidates) {
        out(`${c.code}\t${c.name}${doubt(c)}\t${path(c.ancestors) || '(大类)'}\t${c.via.join('; ')}`);
      }
    });

  industry
    .command('show')
    .description("a code's official name and its division and group")
    .argument('<code>', 'a GB/T 4754-2017 code, e.g. 3465')
    .option('--json', 'print {code, name, level, ancestors}')
    .action((code: string, options: { json?: boolean }) => {
      const d = describeIndustry(code);
      if (options.json) out(JSON.stringify(d, null, 2));
      else out(`${d.code}\t${d.name}${doubt(d)}\t${path(d.ancestors) || '(大类)'}`);
    });

  industry
    .command('check')
    .description("a code against a measure's industries, as the document words them")
    .argument('<code>', 'a GB/T 4754-2017 code, e.g. 3465')
    .requiredOption('-m, --measure <id>', 'measure id (see `shugai policy list`)')
    .option('--json', 'print {measure, code, name, outcome, declared, citation, message}')
    .action((code: string, options: { measure: string; json?: boolean }) => {
      const check = checkIndustry(code, options.measure);
      if (options.json) out(JSON.stringify(check, null, 2));
      if (check.outcome === 'coarser') throw new PolicyError('SHUGAI_INDUSTRY_INVALID', check.message!);
      if (options.json) return;
      if (check.outcome === 'any') out(`${check.measure} 不限行业:${code} ${check.name} 不因行业被拒`);
      else if (check.outcome === 'outside') out(check.message!);
      else {
        const declared = check.declared.map((d) => `${d.wording}(${d.codes.map((c) => c.code).join('、')})`);
        out(
          `行业 ${code} ${check.name} 在 ${declared.join('、')} 之内 — ${check.citation!.article}“${check.citation!.quote}”`,
        );
      }
    });
}
