/**
 * The answers file (YAML or JSON): the edition, the enterprise, per item the chosen option ids or the
 * rate inputs, per scene the level 0–4. Checked strictly against the catalogue: every item and every
 * scene must be answered (an unanswered question is never read as 0), and every problem is reported
 * with the path of the field, e.g. `items.network.options[1]: unknown option "wifi"`.
 */
import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { rethrowInput } from '../core/input.ts';
import { parseYamlValue } from '../core/yaml.ts';
import { formatPath } from '../gateway/config/errors.ts';
import type { Catalogue, CatalogueItem } from './catalogue/load.ts';
import { decimalString } from './catalogue/schema.ts';
import { AssessmentError } from './errors.ts';

/** A count of devices (an integer) or an amount (a decimal string, e.g. yuan). */
const quantity = z.union([z.number().int().nonnegative(), decimalString]).transform((v) => String(v));

const itemAnswerSchema = z.strictObject({
  options: z.array(z.string().min(1)).optional(),
  rate: z.strictObject({ numerator: quantity, denominator: quantity }).optional(),
  /** The enterprise's or assessor's remark, kept in the report. */
  note: z.string().optional(),
});

export const answersSchema = z.strictObject({
  edition: z.string().min(1),
  enterprise: z.strictObject({
    name: z.string().min(1),
    creditCode: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
  }),
  /** The assessing organisation (评测机构), printed on the report's first page. */
  organisation: z.string().min(1).optional(),
  items: z.record(z.string(), itemAnswerSchema),
  scenes: z.record(z.string(), z.number().int().min(0).max(4)),
});
export type Answers = z.infer<typeof answersSchema>;
export type ItemAnswer = z.infer<typeof itemAnswerSchema>;

function invalid(source: string, issues: readonly string[]): AssessmentError {
  return new AssessmentError('SHUGAI_ANSWERS_INVALID', `answers ${source}: ${issues.join('; ')}`);
}

export function readAnswersFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(file, [`cannot read: ${(error as Error).message}`]);
  }
  // YAML is a superset of JSON: one loader for both, duplicate keys and alias bombs refused.
  return rethrowInput(
    () => parseYamlValue(text, file),
    (message) => new AssessmentError('SHUGAI_ANSWERS_INVALID', `answers ${message}`),
  );
}

/** Validates the shape, then every answer against the catalogue; throws naming every bad field. */
export function parseAnswers(input: unknown, catalogue: Catalogue, source = 'input'): Answers {
  const parsed = answersSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(
      source,
      parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  const answers = parsed.data;
  const issues: string[] = [];
  if (answers.edition !== catalogue.edition)
    issues.push(`edition: "${answers.edition}" but the catalogue is ${catalogue.edition}`);
  const known = new Set(catalogue.items.map((i) => i.id));
  for (const id of Object.keys(answers.items))
    if (!known.has(id)) issues.push(`items.${id}: no such item in edition ${catalogue.edition}`);
  for (const item of catalogue.items) {
    const answer = answers.items[item.id];
    if (answer === undefined) issues.push(`items.${item.id}: not answered (${item.name})`);
    else issues.push(...checkItem(item, answer).map((m) => `items.${item.id}.${m}`));
  }
  const scenes = new Set(catalogue.scenes.map((s) => s.name as string));
  for (const name of Object.keys(answers.scenes))
    if (!scenes.has(name)) issues.push(`scenes.${name}: no such scene in edition ${catalogue.edition}`);
  for (const name of scenes)
    if (answers.scenes[name] === undefined) issues.push(`scenes.${name}: not rated (0–4)`);
  if (issues.length > 0) throw invalid(source, issues);
  return answers;
}

function checkItem(item: CatalogueItem, answer: ItemAnswer): string[] {
  const issues: string[] = [];
  const ids = item.options.map((o) => o.id);
  (answer.options ?? []).forEach((id, i) => {
    if (!ids.includes(id)) issues.push(`options[${i}]: unknown option "${id}" (one of ${ids.join(', ')})`);
  });
  const chosen = answer.options ?? [];
  if (new Set(chosen).size !== chosen.length) issues.push('options: an option is ticked twice');
  if (item.rate) {
    if (answer.rate) {
      const { numerator, denominator } = answer.rate;
      if (new Decimal(denominator).isZero()) issues.push('rate.denominator: must be above 0');
      else if (new Decimal(numerator).gt(denominator))
        issues.push(`rate.numerator: ${numerator} is more than the denominator ${denominator}`);
      else if (chosen.length > 0 && chosen[0] !== bandOf(item, answer.rate).id)
        issues.push(
          `options: "${chosen[0]}" disagrees with the rate, which falls in ${bandOf(item, answer.rate).id}`,
        );
    } else if (chosen.length === 0) issues.push(`rate: give {numerator, denominator} (${item.rate.formula})`);
  } else if (answer.rate) issues.push('rate: this item is not answered by a rate');
  if (item.type === 'single' && chosen.length > 1)
    issues.push('options: a single-choice item takes one option');
  if (item.type === 'single' && chosen.length === 0 && !answer.rate)
    issues.push('options: choose one option');
  const exclusive = item.options.filter((o) => o.exclusive && chosen.includes(o.id));
  if (exclusive.length > 0 && chosen.length > 1)
    issues.push(`options: "${exclusive[0]!.id}" (${exclusive[0]!.text}) excludes the other options`);
  return issues;
}

/**
 * The band a ratio falls in, compared exactly: numerator > bound × denominator, with no division,
 * so 10% exactly stays in [0,10%] and 10.0001% is in (10%,20%].
 */
export function bandOf(item: CatalogueItem, rate: { numerator: string; denominator: string }) {
  const num = new Decimal(rate.numerator);
  const found = item.options.find((o) => {
    const b = o.band!;
    const low = b.atLeast !== undefined ? num.gte(new Decimal(b.atLeast).times(rate.denominator)) : true;
    const lowOpen = b.moreThan !== undefined ? num.gt(new Decimal(b.moreThan).times(rate.denominator)) : true;
    return low && lowOpen && num.lte(new Decimal(b.atMost).times(rate.denominator));
  });
  // The loader proved the bands cover [0, 1] and parseAnswers that the ratio is in [0, 1].
  if (!found) throw new Error(`no band of ${item.id} holds ${rate.numerator}/${rate.denominator}`);
  return found;
}
