/**
 * Test helper (not shipped behaviour): the collectors' regression cases as data, as Telegraf keeps
 * them. Each case is a folder under testcases/ with input.yaml and expected.yaml, read through the
 * test's own schemas; one test per case. What the push collectors' cases share is in mqtt/testing.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { z } from 'zod';
import { parseYamlValue } from '../core/yaml.ts';

/**
 * The regression cases in `dir`: one folder per case with input.yaml and expected.yaml, parsed by
 * the given schemas when a case is loaded (so a malformed case fails its own test, not the file).
 */
export function regressionCases<I extends z.ZodType, E extends z.ZodType>(
  dir: string,
  input: I,
  expected: E,
): { name: string; load(): { input: z.output<I>; expected: z.output<E> } }[] {
  const read = (name: string, file: string) => {
    const at = path.join(dir, name, file);
    return parseYamlValue(readFileSync(at, 'utf8'), at);
  };
  return readdirSync(dir)
    .sort()
    .map((name) => ({
      name,
      load: () => ({
        input: input.parse(read(name, 'input.yaml')),
        expected: expected.parse(read(name, 'expected.yaml')),
      }),
    }));
}

/**
 * One test per case in `dir`, named after its folder, that loads the case and hands it to `run`;
 * and one test that there are at least `atLeast` cases (a moved folder must not pass silently).
 */
export function caseTests<I extends z.ZodType, E extends z.ZodType>(
  dir: string,
  schemas: { input: I; expected: E },
  atLeast: number,
  run: (input: z.output<I>, expected: z.output<E>) => void | Promise<void>,
): void {
  const cases = regressionCases(dir, schemas.input, schemas.expected);
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(atLeast));
  for (const { name, load } of cases) {
    it(name, () => {
      const { input, expected } = load();
      return run(input, expected);
    });
  }
}

/** A case's steps, each with its expectation; fails unless the case gives one expectation per `step`. */
export function withExpectations<S, W>(steps: readonly S[], expected: readonly W[], step: string): [S, W][] {
  expect(steps.length, `one expectation per ${step}`).toBe(expected.length);
  return steps.map((s, i) => [s, expected[i] as W]);
}
