/**
 * Errors of the policies package, each with a stable code so scripts and tests match codes, not
 * messages. Every message names what failed; the CLI exits 2 for the input errors (exitCode).
 */
export type PolicyErrorCode =
  | 'SHUGAI_POLICY_INVALID'
  | 'SHUGAI_CASE_INVALID'
  | 'SHUGAI_PARAMETER_MISSING'
  | 'SHUGAI_PARAMETER_INVALID'
  | 'SHUGAI_MEASURE_UNKNOWN'
  | 'SHUGAI_MEASURE_AMBIGUOUS'
  | 'SHUGAI_MEASURE_NONE'
  | 'SHUGAI_INDUSTRY_INVALID';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  /** Input errors (case, parameter, measure choice, industry code) exit 2; a broken policy file exits 1. */
  readonly exitCode: number;
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = code === 'SHUGAI_POLICY_INVALID' ? 1 : 2;
  }
}

/** A parameter the document leaves open, not supplied: names it as it is passed on the command line. */
export function parameterMissing(
  name: string,
  placeholder: string,
  citation: string,
  meaning: string,
): PolicyError {
  return new PolicyError(
    'SHUGAI_PARAMETER_MISSING',
    `missing parameter ${name}: pass --param ${name}=${placeholder} (${meaning}; ${citation} leaves it open)`,
  );
}
