/**
 * Maps an HTTP answer to a WriteOutcome, the way Telegraf's outputs do; shared by the sinks that
 * write over HTTP (InfluxDB, the central attestation service). The core acts on the outcome.
 */
import type { WriteOutcome } from './sink.ts';

/** How many of the `sent` points a 400/422 refused; every one unless the peer's body says otherwise. */
export type RejectedCount = (body: string, sent: number) => number;

const allRejected: RejectedCount = (_body, sent) => sent;

export function classify(
  status: number,
  body: string,
  retryAfter: string | null,
  sent: number,
  rejected: RejectedCount = allRejected,
): WriteOutcome {
  const reason = `HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 413) return { kind: 'split', reason };
  if (status === 400 || status === 422) return { kind: 'drop', reason, rejected: rejected(body, sent) };
  if (status === 401 || status === 403) return { kind: 'auth', reason };
  const retryAfterMs = parseRetryAfter(retryAfter);
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
}

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A network failure (refused, reset, timeout, TLS) as a retry outcome naming its cause. */
export function networkFailure(error: unknown): WriteOutcome {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  const code = (error as { code?: string }).code;
  return { kind: 'retry', reason: `network: ${cause ?? code ?? (error as Error).name}` };
}
