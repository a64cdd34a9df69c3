/**
 * Status codes carried by Modbus samples, and the error a failed read raises.
 *
 * A sample's statusCode is 0 when good. A Modbus exception keeps its own code (1–255, the byte the
 * slave sent), so 2 always means "illegal data address" as in the spec. Conditions with no Modbus
 * code get shugai codes from 0x100 up, outside the exception byte's range. These numbers are stable:
 * stores and dashboards match on them.
 */

/** Exception codes of the Modbus Application Protocol v1.1b3, §7. */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export const EXCEPTION_ILLEGAL_DATA_ADDRESS = 2;

export const STATUS = {
  good: 0,
  /** No response within the device's timeoutMs. */
  timeout: 0x100,
  /** The link (socket or serial port) was down or dropped while the request was pending. */
  disconnected: 0x101,
  /** A response that failed its checks (CRC, length, unit id, function code). */
  malformed: 0x102,
  /** An int64/uint64 tag of type integer whose value is beyond ±2^53: delivered rounded, quality uncertain. */
  precisionLoss: 0x103,
  /** A float register holding NaN or ±Infinity: delivered as 0 with quality bad. */
  notFinite: 0x104,
} as const;

export type FailureKind = 'timeout' | 'exception' | 'disconnected' | 'malformed';

/** A failed Modbus read: `kind` picks the metric label, `code` becomes the samples' statusCode. */
export class ModbusReadError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusReadError';
  }

  /** Exceptions 10 and 11 come from a gateway that cannot reach the slave: treat the slave as absent. */
  get unreachable(): boolean {
    return this.kind === 'timeout' || (this.kind === 'exception' && (this.code === 10 || this.code === 11));
  }
}

export function exceptionName(code: number): string {
  return MODBUS_EXCEPTIONS[code] ?? 'unknown exception';
}

/** A sample's status code in words, for `shugai read`: the device's unit id and timeout help say why. */
export function statusText(code: number, device: { unitId: number; timeoutMs: number }): string {
  if (code >= 1 && code <= 255) return `exception ${code} ${exceptionName(code).toUpperCase()}`;
  switch (code) {
    case STATUS.timeout:
      return `timeout: no response from unit ${device.unitId} within ${device.timeoutMs} ms (a wrong unit id, or the device is off)`;
    case STATUS.disconnected:
      return 'not connected: the link to the device is down';
    case STATUS.malformed:
      return 'malformed response (its CRC, length, unit id or function code is wrong)';
    case STATUS.precisionLoss:
      return 'precision lost: a 64-bit integer beyond ±2^53, delivered rounded';
    case STATUS.notFinite:
      return 'not a number: the float register holds NaN or ±Infinity';
    default:
      return `status 0x${code.toString(16)}`;
  }
}
