/**
 * The entry of the pipeline: samples from collectors are typed, encoded and appended to the
 * durable log, then the forwarders are told. Nothing reaches a sink without passing through here.
 */
import { ConditionLog } from '../collector/conditions.ts';
import type { Logger } from '../core/log.ts';
import type { DataType, Device, Sample } from '../core/model.ts';
import type { Attestor } from './attest/attestor.ts';
import type { DurableLog } from './buffer/log.ts';
import { BufferFullError } from './buffer/log.ts';
import { encodeSamples } from './buffer/sample-codec.ts';
import type { GatewayMetrics } from './metrics.ts';
import { RecentReadings } from './recent.ts';
import type { StoredSample } from './sinks/sink.ts';

/** A turn's batch is appended at once beyond this many samples, to bound record size and memory. */
const MAX_RECORD_SAMPLES = 20_000;

export class Ingest {
  private types = new Map<string, DataType>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly listeners: ((samples: number) => void)[] = [];
  private readonly observers: ((samples: readonly Sample[]) => void)[] = [];
  attestor: Attestor | undefined;
  /** Samples accepted in this turn of the event loop, appended together. */
  private batch: StoredSample[] = [];
  private flushScheduled = false;
  private writeFailure: { samples: number; since: number } | undefined;

  private readonly conditions: ConditionLog;

  constructor(
    private readonly log: DurableLog,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    /** The readings accepted last per tag: each (tag, source time) is stored and signed once. */
    readonly recent: RecentReadings = new RecentReadings(),
  ) {
    this.conditions = new ConditionLog(logger);
  }

  /** The declared type of every tag (and of derived tags), so integers stay integers in the store. */
  setTypes(
    devices: readonly Device[],
    derived: readonly [device: string, tag: string, type: DataType][] = [],
  ): void {
    this.types = new Map([
      ...devices.flatMap((d) => d.tags.map((t) => [`${d.id}\u0000${t.id}`, t.type] as const)),
      ...derived.map(([device, tag, type]) => [`${device}\u0000${tag}`, type] as const),
    ]);
  }

  onAppended(listener: (samples: number) => void): void {
    this.listeners.push(listener);
  }

  /** Sees every accepted sample (for derived data); runs synchronously, must not throw. */
  onAccepted(observer: (samples: readonly Sample[]) => void): void {
    this.observers.push(observer);
  }

  /** Accepts samples from a collector; never throws (collectors must not be disturbed). */
  accept = (samples: readonly Sample[]): void => {
    const typed: StoredSample[] = [];
    for (const s of samples) {
      const verdict = this.recent.check(s);
      if (verdict === 'repeat') {
        this.metrics.ingestDuplicates.inc();
        continue;
      }
      if (verdict === 'conflict') {
        this.metrics.ingestConflicts.inc({ device: s.device });
        this.conditions.raise(
          { device: s.device, tag: s.tag },
          'same_time',
          'a second reading with the same source time; the first is kept (fix the source timestamps)',
        );
        continue;
      }
      const type = this.typeOf(s);
      if (typeof s.value === 'number' && !Number.isFinite(s.value)) {
        // NaN or ±Infinity is no reading: a bad sample, whatever the source said, of a float (an
        // integer field cannot hold it); stores keep its text.
        this.metrics.ingestNonFinite.inc({ device: s.device });
        typed.push({ ...s, type: 'number', quality: 'bad' });
      } else typed.push({ ...s, type });
    }
    if (typed.length === 0) return;
    for (const s of typed) this.batch.push(s);
    // Everything accepted in one turn of the event loop becomes one record with one attestation:
    // an MQTT flood of one-value messages must not cost a record and a signature per message.
    if (this.batch.length >= MAX_RECORD_SAMPLES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    for (const observer of this.observers) observer(typed);
  };

  private flush(): void {
    this.flushScheduled = false;
    const typed = this.batch;
    if (typed.length === 0) return;
    this.batch = [];
    // The attestation rides in the same record as the samples it vouches for.
    this.append(this.attestor ? [...typed, this.attestor.attest(typed)] : typed, typed.length);
  }

  /** Appends one record; `data` counts its machine samples, so every count of the buffer is of data. */
  private append(record: StoredSample[], data: number): void {
    const append = this.log
      .append(encodeSamples(record), data)
      .then(() => {
        this.endWriteFailure();
        for (const listener of this.listeners) listener(data);
      })
      .catch((error: Error) => {
        // BufferFullError is counted by the log itself (refuse-new, disk); anything else is a disk failure.
        if (!(error instanceof BufferFullError)) this.noteWriteFailure(error, data);
      })
      .finally(() => this.pending.delete(append));
    this.pending.add(append);
  }

  /**
   * A failed append (an I/O error the buffer's bounds did not foresee): counted, explained in the next
   * attestation (its sequence number was used), logged once per episode rather than per append.
   */
  private noteWriteFailure(error: Error, samples: number): void {
    this.metrics.bufferDropped.inc({ reason: 'write_error' }, samples);
    this.attestor?.noteDropped('refused', samples);
    if (this.writeFailure) {
      this.writeFailure.samples += samples;
      return;
    }
    this.writeFailure = { samples, since: Date.now() };
    this.logger.error(
      { err: error.message, samples },
      'buffer append failed; samples dropped until it works again',
    );
  }

  private endWriteFailure(): void {
    if (!this.writeFailure) return;
    const { samples, since } = this.writeFailure;
    this.writeFailure = undefined;
    this.logger.warn({ samples, durationMs: Date.now() - since }, 'buffer appends work again');
  }

  /**
   * Resolves once everything accepted so far is appended (durable under the fsync policy) or counted
   * as dropped. The turn's batch is flushed by a setImmediate queued before this one, so batching
   * is kept: all callers of one turn share the record and its fsync.
   */
  durable = (): Promise<void> =>
    new Promise((resolve) => setImmediate(() => void Promise.all([...this.pending]).then(() => resolve())));

  /**
   * Appends what is pending and waits for it. Drops noted since the last attestation (the buffer
   * made room for the last batch, say) are attested in a record of their own, so the store says
   * how much was dropped even when no data follows.
   */
  async settle(): Promise<void> {
    this.flush();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.attestor?.unattestedDrops) {
      this.append([this.attestor.attest([])], 0);
      await Promise.all([...this.pending]);
    }
  }

  private typeOf(sample: Sample): DataType {
    const declared = this.types.get(`${sample.device}\u0000${sample.tag}`);
    if (declared) return declared;
    return typeof sample.value === 'boolean'
      ? 'boolean'
      : typeof sample.value === 'string'
        ? 'string'
        : 'number';
  }
}
