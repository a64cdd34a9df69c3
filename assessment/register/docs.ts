/**
 * The tables of assessment/register/README.md, generated from the word lists the parser uses; a test
 * checks that the README contains them, so the documented headers, types and statuses cannot drift.
 */
import { DEVICE_TYPES, EQUIPMENT_STATUSES, NO, REGISTER_FIELDS, YES } from './schema.ts';

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

const VALUES: Record<(typeof REGISTER_FIELDS)[number]['id'], string> = {
  asset: 'text, unique in the register; full-width characters read as ASCII',
  name: 'text',
  type: 'a device type below (id, name or other word)',
  production: `${YES.join(' / ')} or ${NO.join(' / ')} (YAML: true / false too)`,
  status: 'a status below; empty is 在用',
  workshop: 'text, optional',
  line: 'text, optional',
  model: 'text, optional',
};

export function registerFieldsMarkdown(): string {
  return table(
    ['field (YAML key)', 'required', 'CSV/XLSX headers, first preferred', 'value'],
    REGISTER_FIELDS.map((f) => [
      `\`${f.id}\``,
      f.required ? 'yes' : 'no',
      f.headers.join(', '),
      VALUES[f.id],
    ]),
  );
}

export function deviceTypesMarkdown(): string {
  return table(
    ['type', '名称', 'also read as'],
    DEVICE_TYPES.map((t) => [`\`${t.id}\``, t.zh, t.also.join(', ')]),
  );
}

export function statusesMarkdown(): string {
  return table(
    ['status', '名称', 'also read as', 'in the rates'],
    EQUIPMENT_STATUSES.map((s) => [
      `\`${s.id}\``,
      s.zh,
      s.also.join(', '),
      s.id === 'in-service' ? 'yes' : 'no',
    ]),
  );
}
