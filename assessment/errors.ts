/**
 * Errors of the assessment package, each with a stable code so scripts and tests match codes, not
 * messages. Every message names what failed; input errors exit 2, a broken catalogue or record exits 1.
 */
export type AssessmentErrorCode =
  | 'SHUGAI_CATALOGUE_INVALID'
  | 'SHUGAI_EDITION_UNKNOWN'
  | 'SHUGAI_ANSWERS_INVALID'
  | 'SHUGAI_EVIDENCE_INVALID'
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
