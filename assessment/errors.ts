import { type ConfigIssue, formatIssue } from '../gateway/config/errors.ts';

/**
 * Errors of the assessment package, each with a stable code so scripts and tests match codes, not
 * messages. Every message names what failed; input errors exit 2, a broken catalogue or record exits 1.
 */
export type AssessmentErrorCode =
  | 'SHUGAI_CATALOGUE_INVALID'
  | 'SHUGAI_EDITION_UNKNOWN'
  | 'SHUGAI_ANSWERS_INVALID'
  | 'SHUGAI_EVIDENCE_INVALID'
  /** An equipment register (设备台账) that cannot be read: bad columns, values, duplicates. */
  | 'SHUGAI_REGISTER_INVALID'
  /** A gateway config whose devices do not map onto the register (missing, unknown or shared asset). */
  | 'SHUGAI_REGISTER_MISMATCH'
  /** A refused workflow step (wrong stage, a validated record written over) or an unknown record. */
  | 'SHUGAI_RECORD_REFUSED'
  /** A record file that does not parse or whose chain of hashes is broken: exit 1, not bad input. */
  | 'SHUGAI_RECORD_CORRUPT';

export class AssessmentError extends Error {
  override readonly name = 'AssessmentError';
  readonly exitCode: number;
  constructor(
    readonly code: AssessmentErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = code === 'SHUGAI_CATALOGUE_INVALID' || code === 'SHUGAI_RECORD_CORRUPT' ? 1 : 2;
  }
}

/**
 * Every problem of a register, or of a config against it, with its place:
 * `register.csv:14 资产编号: duplicate asset number ZC-0007; first at line 3`. The bureau's platform
 * answers an upload with `issues` as they are.
 */
export class RegisterError extends AssessmentError {
  constructor(
    code: 'SHUGAI_REGISTER_INVALID' | 'SHUGAI_REGISTER_MISMATCH',
    readonly issues: readonly ConfigIssue[],
  ) {
    super(code, issues.map(formatIssue).join('\n'));
  }
}
