/**
 * A YAML register: `devices:` a list of entries keyed by the field ids (asset, name, type, production,
 * status, workshop, line, model). Keys are checked strictly, since a misspelt key here is a typo, not an
 * extra column of an exported sheet; values are read by the same rules as CSV and XLSX cells.
 */
import { ConfigError, type ConfigIssue, formatPath } from '../../gateway/config/errors.ts';
import { lineOf, type ParsedYaml, parseYamlPositions } from '../../gateway/config/load.ts';
import { type CellValue, invalid, issueAt, type RawRow, type RawRows } from './rows.ts';
import { REGISTER_FIELDS, type RegisterField } from './schema.ts';

const FIELD_IDS: readonly string[] = REGISTER_FIELDS.map((f) => f.id);
const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function yamlRows(text: string, file: string): RawRows {
  let parsed: ParsedYaml;
  try {
    parsed = parseYamlPositions(text, file);
  } catch (error) {
    if (error instanceof ConfigError) throw invalid([...error.issues]);
    throw error;
  }
  const issues: ConfigIssue[] = [];
  const at = (keys: PropertyKey[], message: string) =>
    issues.push(issueAt(file, lineOf(parsed, keys), formatPath(keys), message));
  const top = parsed.value;
  if (!isMapping(top) || !Array.isArray(top.devices)) {
    at([], 'expected a mapping with devices: a list of {asset, name, type, production, …}');
    throw invalid(issues);
  }
  for (const key of Object.keys(top)) if (key !== 'devices') at([key], 'unknown key; expected devices');
  const rows: RawRow[] = [];
  top.devices.forEach((device: unknown, i) => {
    const place = ['devices', i];
    if (!isMapping(device)) {
      at(place, 'expected a mapping {asset, name, type, production, …}');
      return;
    }
    const cells: RawRow['cells'] = {};
    for (const [key, value] of Object.entries(device)) {
      if (!FIELD_IDS.includes(key)) {
        at([...place, key], `unknown field; expected ${FIELD_IDS.join(', ')}`);
      } else if (typeof value === 'object' && value !== null) {
        at([...place, key], 'expected a value, not a list or mapping');
      } else {
        const keys = [...place, key];
        cells[key as RegisterField] = {
          value: value as CellValue,
          column: formatPath(keys),
          line: lineOf(parsed, keys) ?? 1,
        };
      }
    }
    rows.push({ line: lineOf(parsed, place) ?? 1, cells, path: formatPath(place) });
  });
  return { rows, unit: 'line', issues };
}
