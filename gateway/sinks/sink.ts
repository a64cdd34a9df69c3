/**
 * What a sink is: it writes one batch and says what happened. Batching, the durable buffer, retries
 * and backoff live in the core (gateway/forward/), as in Telegraf's running_output.
 */
import type { DataType, Sample } from '../../core/model.ts';

/** A sample with the type its tag had when the gateway accepted it (integers stay integers). */
export interface StoredSample extends Sample {
  type: DataType;
}

export type WriteOutcome =
  /** Every point was stored. */
  | { kind: 'ok' }
  /** Nothing was stored, and trying again later may work (network, 429, 5xx); retryAfterMs from the peer. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The batch is too large for the peer (413): the core splits it and writes the halves. */
  | { kind: 'split'; reason: string }
  /** The peer refused the points as bad data (400/422): they are dropped and counted; `stored` were kept. */
  | { kind: 'drop'; reason: string; rejected: number }
  /** Credentials refused (401/403): alert, keep buffering, retry slowly. */
  | { kind: 'auth'; reason: string };

export interface Sink {
  /** The sink's name from the config; also its reader name in the buffer. */
  readonly name: string;
  write(batch: readonly StoredSample[]): Promise<WriteOutcome>;
  close(): Promise<void>;
}
