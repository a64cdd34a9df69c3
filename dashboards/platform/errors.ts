/**
 * Errors of the platform (`shugai serve`): a stable code for clients and tests, the HTTP status it
 * answers with, and a message naming what failed. Routes answer `{error, code}`.
 */
import { ServiceError } from '../central/errors.ts';

export type PlatformErrorCode =
  | 'BAD_REQUEST'
  /** A unified social credit code whose check character or shape is wrong. */
  | 'BAD_USCC'
  | 'BAD_REGION'
  | 'BAD_INDUSTRY'
  /** A verification's parameter the measure does not read, or a value of the wrong form (a rate, a date). */
  | 'BAD_PARAMETER'
  /** No session or token, an expired one, or a wrong user name or password. */
  | 'UNAUTHORIZED'
  /** Authenticated, but the role may not do this (objects out of scope answer NOT_FOUND). */
  | 'FORBIDDEN'
  /** A form post or a cookie-authenticated change without the session's CSRF token. */
  | 'CSRF'
  | 'NOT_FOUND'
  | 'CONFLICT'
  /** An application's state does not allow this step (e.g. 复审 before 初审, a decision after approval). */
  | 'WRONG_STATE'
  /** 复审 by the officer who made the 初审: the two steps need two different officers. */
  | 'SAME_OFFICER'
  /** A decision with no verification computed for the application's current submission. */
  | 'NOT_VERIFIED'
  /** Approval of an application whose payout is not eligible, or whose data integrity is not clean. */
  | 'NOT_PAYABLE'
  /** The verification was computed again after the 初审: the 初审 must look at the new one. */
  | 'VERIFICATION_CHANGED'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The database holds a migration this shugai does not know. */
  | 'SCHEMA_NEWER'
  | 'CONFIG';

const STATUS: Record<PlatformErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_USCC: 400,
  BAD_REGION: 400,
  BAD_INDUSTRY: 400,
  BAD_PARAMETER: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  WRONG_STATE: 409,
  SAME_OFFICER: 409,
  NOT_VERIFIED: 409,
  NOT_PAYABLE: 409,
  VERIFICATION_CHANGED: 409,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SCHEMA_NEWER: 500,
  CONFIG: 500,
};

export class PlatformError extends ServiceError<PlatformErrorCode> {
  constructor(code: PlatformErrorCode, message: string, retryAfterSeconds?: number) {
    super(code, message, STATUS[code], retryAfterSeconds);
  }
}

export const notFound = (what: string) => new PlatformError('NOT_FOUND', `${what} not found`);
export const forbidden = (message: string) => new PlatformError('FORBIDDEN', message);
export const badRequest = (message: string) => new PlatformError('BAD_REQUEST', message);
