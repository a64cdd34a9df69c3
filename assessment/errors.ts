/**
 * Errors of the assessment package, each with a stable code so scripts and tests match codes, not
 * messages. Every message names what failed; input errors exit 2, a broken catalogue exits 1.
 */
export type AssessmentErrorCode =
  | 'SHUGAI_CATALOGUE_INVALID'
  | 'SHUGAI_EDITION_UNKNOWN'
  | 'SHUGAI_ANSWERS_INVALID'
  | 'SHUGAI_EVIDENCE_INVALID';

export class AssessmentError extends Error {
  override readonly name = 'AssessmentError';
  readonly exitCode: number;
  constructor(
    readonly code: AssessmentErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = code === 'SHUGAI_CATALOGUE_INVALID' ? 1 : 2;
  }
}
