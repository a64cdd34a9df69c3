/**
 * A problem at a place in an input: `plant.yaml:42 devices[3].tags[7].type: expected one of …`.
 * Every reader of what people give shugai (config, case, answers and batch files, API bodies)
 * reports through these, so a message names the file, the line and the path of the bad value.
 */
import type { z } from 'zod';

export interface InputIssue {
  /** The file, or what the input is when it is not a file (e.g. `request body`). */
  file: string;
  /** 1-based line, when the place is known. */
  line?: number;
  /** The path as written in messages, e.g. `connections[0].devices[3].tags[7].type`. */
  path: string;
  message: string;
}

export class InputError extends Error {
  override readonly name: string = 'InputError';
  readonly code: string = 'SHUGAI_INPUT_INVALID';
  constructor(readonly issues: readonly InputIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: InputIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `['connections', 0, 'devices', 3, 'id']` → `connections[0].devices[3].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** `read()`, with an InputError's message handed to `wrap`, so the caller's own error (and code) carries it. */
export function rethrowInput<T>(read: () => T, wrap: (message: string) => Error): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InputError) throw wrap(error.message);
    throw error;
  }
}

/** A value as a message shows it: `'5 parsecs'`, `-1`, `true`, `a list`, `an object`. */
export function shown(input: unknown): string {
  if (typeof input === 'string') return `'${input}'`;
  if (Array.isArray(input)) return 'a list';
  if (input === null) return 'null';
  if (typeof input === 'object') return 'an object';
  return String(input);
}

/** `expected …; got '5 parsecs'`, or `required: …` when the value is missing. */
export function expected(what: string, input: unknown): string {
  return input === undefined ? `required: ${what}` : `expected ${what}; got ${shown(input)}`;
}

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/**
 * Says what is expected where zod does not: a missing field ("Invalid input: expected boolean,
 * received undefined" becomes "required: boolean", a missing choice "required: one of …") and a
 * value no alternative of a union takes ("Invalid input" names the alternatives, or gives the
 * problems within the one alternative the value is of, e.g. an object with a bad field). Pass as
 * `{ error: explainIssue }` to safeParse; schemas' own messages win, and zod's messages that
 * already say what is expected are kept.
 */
export const explainIssue = (issue: RawIssue): string | undefined => {
  if (issue.input === undefined && issue.code === 'invalid_type') return `required: ${issue.expected}`;
  if (issue.input === undefined && issue.code === 'invalid_value')
    return `required: one of ${issue.values.map(shown).join(', ')}`;
  if (issue.code !== 'invalid_union') return undefined;
  if (issue.note === 'No matching discriminator') {
    const value = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator ?? ''];
    return expected(`one of ${((issue.options ?? []) as unknown[]).map(shown).join(', ')}`, value);
  }
  // An alternative failing at its top (wrong kind of value, unknown keys) is not the one meant; if
  // exactly one failed only within, its problems are the ones to tell.
  const atTop = (i: z.core.$ZodIssue) =>
    i.path.length === 0 &&
    (i.code === 'invalid_type' || i.code === 'invalid_value' || i.code === 'unrecognized_keys');
  const within = issue.errors.filter((branch) => !branch.some(atTop));
  if (within.length === 1)
    return within[0]!
      .map((i) => (i.path.length > 0 ? `${formatPath(i.path)}: ${i.message}` : i.message))
      .join('; ');
  const options =
    (issue.inst as { _zod?: { def?: { options?: unknown[] } } } | undefined)?._zod?.def?.options ?? [];
  const alternatives = options.flatMap(
    (option, k) => alternative(option) ?? topExpected(issue.errors[k] ?? []),
  );
  return alternatives.length > 0 ? expected([...new Set(alternatives)].join(' or '), issue.input) : undefined;
};

/** An alternative of a union in words: `{intervalMs}` for an object, its values for literals and enums. */
function alternative(schema: unknown): string[] | undefined {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (def?.type === 'object') return [`{${Object.keys(def.shape as object).join(', ')}}`];
  if (def?.type === 'literal') return (def.values as unknown[]).map(shown);
  if (def?.type === 'enum') return Object.values(def.entries as object).map(shown);
  if (def?.type === 'lazy') return alternative((def.getter as () => unknown)());
  return undefined;
}

/** What the top-level issues of an alternative say it expected (a type name). */
function topExpected(branch: readonly z.core.$ZodIssue[]): string[] {
  return branch.flatMap((i) => (i.path.length === 0 && i.code === 'invalid_type' ? [i.expected] : []));
}
