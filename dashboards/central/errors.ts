/** Errors of the central service: a stable code for clients and tests, and a message naming what failed. */
export type CentralErrorCode =
  | 'BAD_KEY'
  | 'KEY_CONFLICT'
  | 'BAD_REQUEST'
  | 'BAD_SIGNATURE'
  | 'NOT_REGISTERED'
  | 'UNKNOWN_GATEWAY'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'TOO_MANY_FORKS'
  | 'NOT_FOUND';

const STATUS: Record<CentralErrorCode, number> = {
  BAD_KEY: 400,
  KEY_CONFLICT: 409,
  BAD_REQUEST: 400,
  BAD_SIGNATURE: 400,
  NOT_REGISTERED: 403,
  UNKNOWN_GATEWAY: 404,
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
  // 400: the gateway's sink drops the request and counts it; retrying could not change the answer.
  TOO_MANY_FORKS: 400,
  NOT_FOUND: 404,
};

/**
 * An error a route answers as `{error, code}` with its HTTP status; the central service's and the
 * platform's errors are both of this kind, so one error handler serves them.
 */
export class ServiceError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly statusCode: number,
    /** For RATE_LIMITED: when to try again, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class CentralError extends ServiceError<CentralErrorCode> {
  constructor(code: CentralErrorCode, message: string, retryAfterSeconds?: number) {
    super(code, message, STATUS[code], retryAfterSeconds);
  }
}
