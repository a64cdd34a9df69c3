/**
 * What a sink is: it writes one batch and says what happened. Batching, the durable buffer, retries
 * and backoff live in the core (gateway/forward/), as in Telegraf's running_output.
 */
import type { ByteWriter } from '../../core/bytes.ts';
import type { DataType, Sample } from '../../core/model.ts';
import { ATTESTATION_DEVICE } from '../attest/attestation.ts';
import { type Payload, recordLines, recordSamples } from '../buffer/payload.ts';
import { RECORD_MEASUREMENT } from '../ingest/series.ts';
import { toLines } from './line-protocol.ts';

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
  /** Writes a batch; samples are taken as a batch of their own (tools and tests write them so). */
  write(batch: Batch | readonly StoredSample[]): Promise<WriteOutcome>;
  close(): Promise<void>;
}

/** What a sink was given, as a batch. */
export function asBatch(batch: Batch | readonly StoredSample[], gatewayId: string): Batch {
  return batch instanceof Batch ? batch : Batch.ofSamples([...batch], gatewayId);
}

/** A buffer record as a batch holds it: its payload and the machine samples in it. */
type RecordPart = Payload & { count: number };

/**
 * What a sink is given to write: consecutive buffer records (or samples, after a split). A sink
 * takes the form it needs: the InfluxDB sink the records' line protocol as it is on disk, the
 * others the samples, parsed once on first use.
 */
export class Batch {
  private parsed: StoredSample[] | undefined;

  private constructor(
    private readonly records: readonly RecordPart[],
    samples: StoredSample[] | undefined,
    /** Machine samples in the batch (attestations ride along uncounted, as in the buffer). */
    readonly count: number,
    readonly gatewayId: string,
  ) {
    this.parsed = samples;
  }

  static ofRecords(records: readonly RecordPart[], gatewayId: string): Batch {
    return new Batch(
      records,
      undefined,
      records.reduce((n, r) => n + r.count, 0),
      gatewayId,
    );
  }

  static ofSamples(samples: StoredSample[], gatewayId: string): Batch {
    const count = samples.reduce((n, s) => (s.device === ATTESTATION_DEVICE ? n : n + 1), 0);
    return new Batch([], samples, count, gatewayId);
  }

  /** Every sample, attestations included, in order. */
  samples(): readonly StoredSample[] {
    this.parsed ??= this.records.flatMap(recordSamples);
    return this.parsed;
  }

  /** Writes the batch as line protocol of measurement `samples` (for records: their bytes, untouched). */
  writeLines(out: ByteWriter): void {
    if (this.records.length > 0) for (const r of this.records) out.raw(recordLines(r, this.gatewayId));
    else out.text(toLines(this.samples(), { measurement: RECORD_MEASUREMENT, gatewayId: this.gatewayId }));
  }

  /** Two halves, by records or else by samples; undefined for a single sample (413 on it: dropped). */
  halves(): [Batch, Batch] | undefined {
    if (this.records.length > 1) {
      const half = Math.ceil(this.records.length / 2);
      return [
        Batch.ofRecords(this.records.slice(0, half), this.gatewayId),
        Batch.ofRecords(this.records.slice(half), this.gatewayId),
      ];
    }
    const samples = [...this.samples()];
    if (samples.length < 2) return undefined;
    const half = Math.ceil(samples.length / 2);
    return [
      Batch.ofSamples(samples.slice(0, half), this.gatewayId),
      Batch.ofSamples(samples.slice(half), this.gatewayId),
    ];
  }
}
