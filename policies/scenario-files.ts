/**
 * The scenario files (scenarios/<measure>.yaml) as data: each scenario's case is the file's default
 * case merged with the scenario's own fields (objects merge, arrays replace, null removes a field);
 * its parameters are the defaults merged likewise. Used by the scenario tests and the bench.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseYamlValue } from '../core/yaml.ts';

export const SCENARIOS_DIR = path.join(import.meta.dirname, 'scenarios');

const json = z.record(z.string(), z.unknown());
const scenarioSchema = z.strictObject({
  name: z.string().regex(/[。.]$/, { message: 'a scenario name is a whole sentence ending in 。' }),
  /** 'auto': the book finds the one measure that claims the case. */
  measure: z.string().optional(),
  case: json.optional(),
  /** Merged over the defaults; null removes a default parameter. */
  params: z.record(z.string(), z.string().nullable()).optional(),
  eligible: z.boolean().optional(),
  amount: z
    .string()
    .regex(/^\d+\.\d{2}$/)
    .optional(),
  /** Articles of the failed conditions, in order. */
  reasons: z.array(z.string()).optional(),
  split: z.record(z.string(), z.string()).nullable().optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
});
const fileSchema = z.strictObject({
  measure: z.string(),
  defaults: z.strictObject({ case: json, params: z.record(z.string(), z.string()).optional() }),
  scenarios: z.array(scenarioSchema).min(1),
});

export type Scenario = Omit<z.infer<typeof scenarioSchema>, 'case' | 'params' | 'measure'> & {
  measure: string;
  input: Record<string, unknown>;
  params: Record<string, string>;
};

type Json = Record<string, unknown>;
function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const current = out[k];
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(current)) out[k] = merge(current, v);
    else out[k] = v;
  }
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function loadScenarioFiles(
  dir: string = SCENARIOS_DIR,
): { file: string; measure: string; scenarios: Scenario[] }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const spec = fileSchema.parse(parseYamlValue(readFileSync(path.join(dir, file), 'utf8'), file));
      const scenarios = spec.scenarios.map(({ case: over, params, measure, ...rest }) => ({
        ...rest,
        measure: measure ?? spec.measure,
        input: merge(spec.defaults.case, over ?? {}),
        params: Object.fromEntries(
          Object.entries({ ...spec.defaults.params, ...params }).filter(
            (e): e is [string, string] => e[1] !== null,
          ),
        ),
      }));
      return { file, measure: spec.measure, scenarios };
    });
}
