/**
 * An enterprise's industry is a GB/T 4754-2017 code string (e.g. "3465"), checked against the table
 * of policies/industry/: a code that is not there is refused with the reason, never stored.
 */
import { codeProblem } from '../../../policies/industry/table.ts';

/** Why `code` is not a code of the GB/T 4754-2017 table; undefined when it is. */
export function industryCodeProblem(code: string): string | undefined {
  const problem = codeProblem(code);
  return problem === undefined ? undefined : `industry: ${problem}`;
}
