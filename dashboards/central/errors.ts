/** Errors of the central service: a stable code for clients and tests, and a message naming what failed. */
export type CentralErrorCode =
  | 'BAD_KEY'
  | 'KEY_CONFLICT'
  | 'BAD_REQUEST'
  | 'BAD_SIGNATURE'
  | 'NOT_REGISTERED'
  | 'UNKNOWN_GATEWAY'
  | 'UNAUTHORIZED'
  | 'READS_DISABLED'
  | 'RATE_LIMITED'
  | 'TOO_MANY_FORKS'
  | 'NOT_FOUND'
  | 'CONFIG';

const STATUS: Record<CentralErrorCode, number> = {
  BAD_KEY: 400,
  KEY_CONFLICT: 409,
  BAD_REQUEST: 400,
  BAD_SIGNATURE: 400,
  NOT_REGISTERED: 403,
  UNKNOWN_GATEWAY: 404,
  UNAUTHORIZED: 401,
  READS_DISABLED: 403,
  RATE_LIMITED: 429,
  // 400: the gateway's sink drops the request and counts it; retrying could not change the answer.
  TOO_MANY_FORKS: 400,
  NOT_FOUND: 404,
  CONFIG: 500,
};

export class CentralError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: CentralErrorCode,
    message: string,
    /** For RATE_LIMITED: when to try again, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'CentralError';
    this.statusCode = STATUS[code];
  }
}
