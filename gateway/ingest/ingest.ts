/**
 * The entry of the pipeline: samples from collectors become lines of the buffer's records, one
 * record per turn of the event loop, and the forwarders are told. Nothing reaches a sink without
 * passing through here. Per sample the work is what it must be: its series by two map lookups
 * (series.ts), one reading per tag and time (recent.ts), its line written as UTF-8 straight into the
 * record (record-bytes.ts) from parts escaped and encoded once, its canonical point hashed with the
 * record's others when it is flushed (attest/digest-batch.ts) and summed for the attestation
 * (attest/attestor.ts signs slices of several records at once).
 */
import { ConditionLog } from '../../collector/conditions.ts';
import type { Logger } from '../../core/log.ts';
import { type DataType, type Device, type Sample, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import { ShareSums } from '../attest/attestation.ts';
import { type Attestor, SEAL_NOW } from '../attest/attestor.ts';
import { pointMessage } from '../attest/canonical.ts';
import { DigestBatch } from '../attest/digest-batch.ts';
import { BufferFullError, type DurableLog } from '../buffer/log.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { judge } from './recent.ts';
import { RecordBytes } from './record-bytes.ts';
import { type Series, SeriesTable } from './series.ts';

/**
 * A turn's record is appended at once beyond this many samples (about half a megabyte of lines), to
 * bound record size and memory: records are what the buffer drops when full, a segment at a time.
 */
const MAX_RECORD_SAMPLES = 5000;

/** Unwritten bytes at which push sources are asked to wait, and at which they go on (ingest.relieved). */
export const UNWRITTEN_HIGH = 32 * 1024 * 1024;
export const UNWRITTEN_LOW = 8 * 1024 * 1024;

export class Ingest {
  readonly series: SeriesTable;
  private readonly pending = new Set<Promise<unknown>>();
  /** Bytes handed to the buffer and not written yet; past UNWRITTEN_HIGH, push sources wait. */
  private unwritten = 0;
  private relief: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly listeners: ((samples: number) => void)[] = [];
  private readonly observers: {
    observe: (samples: readonly StoredSample[]) => void;
    wanted: () => boolean;
  }[] = [];
  /** The turn's record: its lines (as UTF-8), its samples, their digests summed per device. */
  private readonly record = new RecordBytes();
  private count = 0;
  private sums = new ShareSums();
  /** The record's point digests, hashed together when it is flushed. */
  private readonly digests = new DigestBatch();
  private flushScheduled = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private writeFailure: { samples: number; since: number } | undefined;
  private readonly conditions: ConditionLog;

  constructor(
    private readonly log: DurableLog,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    gatewayId: string,
    /** Signs what the buffer holds (set as the log's sealer too); absent when attestation is off. */
    readonly attestor?: Attestor,
  ) {
    this.conditions = new ConditionLog(logger);
    this.series = new SeriesTable(gatewayId);
  }

  /** The declared type of every tag (and of derived tags), so integers stay integers in the store. */
  setTypes(
    devices: readonly Device[],
    derived: readonly [device: string, tag: string, type: DataType][] = [],
  ): void {
    this.series.declare(devices, derived);
  }

  onAppended(listener: (samples: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Sees every accepted sample (for derived data) while `wanted()` (no copy of each sample is made
   * for an observer with nothing to do); runs synchronously, must not throw.
   */
  onAccepted(observe: (samples: readonly StoredSample[]) => void, wanted: () => boolean = () => true): void {
    this.observers.push({ observe, wanted });
  }

  /** Accepts samples from a collector; never throws (collectors must not be disturbed). */
  accept = (samples: readonly Sample[]): void => {
    const observed: StoredSample[] | undefined = this.observers.some((o) => o.wanted()) ? [] : undefined;
    let repeats = 0;
    const before = this.count;
    for (const s of samples) {
      const series = this.series.get(s.device, s.tag, s.value);
      const verdict = judge(series, s);
      if (verdict === 'repeat') {
        repeats++;
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
      let type = series.type;
      let quality = s.quality;
      if (typeof s.value === 'number' && !Number.isFinite(s.value)) {
        // NaN or ±Infinity is no reading: a bad sample, whatever the source said, of a float (an
        // integer field cannot hold it); stores keep its text.
        this.metrics.ingestNonFinite.inc({ device: s.device });
        type = 'number';
        quality = 'bad';
      } else if (quality === 'good') series.lastGood = s.value;
      this.add(series, s, type, quality, observed);
    }
    if (repeats > 0) this.metrics.ingestDuplicates.inc(repeats);
    if (this.count === before) return;
    if (this.count >= MAX_RECORD_SAMPLES) this.flush();
    else if (!this.flushScheduled) {
      // Everything accepted in one turn of the event loop is one record.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (observed) for (const observer of this.observers) if (observer.wanted()) observer.observe(observed);
  };

  private add(
    series: Series,
    s: Sample,
    type: DataType,
    quality: Sample['quality'],
    observed: StoredSample[] | undefined,
  ): void {
    // A float's text is made once, for the line and the digest.
    const float = series.write(this.record, s.value, quality, s.statusCode, s.sourceTime, s.receivedAt);
    this.count++;
    if (this.attestor) {
      const head = series.canonicalHead(type);
      pointMessage(this.digests.messages, head, type, s.value, s.sourceTime, quality, s.statusCode, float);
      this.digests.add(this.sums.count(s.device, s.sourceTime));
    }
    if (observed) {
      observed.push({
        device: s.device,
        tag: s.tag,
        type,
        value: s.value,
        quality,
        statusCode: s.statusCode,
        sourceTime: s.sourceTime,
        receivedAt: s.receivedAt,
      });
    }
  }

  /**
   * The link to these devices is lost: each tag's last good value is written again once, bad, with
   * STATUS_NO_COMMUNICATION at the gateway's time, so it stops counting as true; the first fresh
   * reading makes the tag good again.
   */
  linkLost = (devices: readonly string[]): void => {
    const now = Date.now();
    const marks: Sample[] = [];
    for (const device of devices)
      for (const series of this.series.ofDevice(device)) {
        const value = series.lastGood;
        if (value === undefined) continue;
        series.lastGood = undefined;
        marks.push({
          device: series.device,
          tag: series.tag,
          value,
          quality: 'bad',
          statusCode: STATUS_NO_COMMUNICATION,
          sourceTime: now,
          receivedAt: now,
        });
      }
    if (marks.length > 0) this.accept(marks);
  };

  private flush(): void {
    this.flushScheduled = false;
    if (this.count === 0) return;
    this.digests.finish();
    const payload = this.record.take();
    const count = this.count;
    const sums = this.sums;
    this.count = 0;
    this.sums = this.attestor?.sums() ?? new ShareSums();
    this.append(payload, count, sums);
  }

  /** Appends one record; `count` is its machine samples, so every count of the buffer is of data. */
  private append(payload: Buffer, count: number, note: unknown): void {
    this.unwritten += payload.length;
    const append = this.log
      .append(payload, count, note)
      .then(() => {
        this.endWriteFailure();
        for (const listener of this.listeners) listener(count);
        this.armSealTimer();
      })
      .catch((error: Error) => {
        // BufferFullError is counted by the log itself (refuse-new, disk); anything else is a disk failure.
        if (!(error instanceof BufferFullError)) this.noteWriteFailure(error, count);
      })
      .finally(() => {
        this.pending.delete(append);
        this.unwritten -= payload.length;
        if (this.relief && this.unwritten <= UNWRITTEN_LOW) {
          this.relief.resolve();
          this.relief = undefined;
        }
      });
    this.pending.add(append);
  }

  /**
   * Undefined while the buffer keeps up; else a promise that resolves once what waits to be written
   * is back under UNWRITTEN_LOW. A push source (MQTT) stops reading its socket meanwhile, so a flood
   * waits at the broker (under its own limits) instead of in the gateway's memory.
   */
  relieved = (): Promise<void> | undefined => {
    if (this.relief) return this.relief.promise;
    if (this.unwritten <= UNWRITTEN_HIGH) return undefined;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.relief = { promise, resolve };
    return promise;
  };

  /**
   * Points on disk wait at most the attestor's slice length for their attestation: when no later
   * write seals them, a seal request (an empty append) does.
   */
  private armSealTimer(): void {
    const attestor = this.attestor;
    if (!attestor || this.sealTimer || attestor.slicePoints === 0) return;
    const due = (attestor.sliceOpenedAt ?? Date.now()) + attestor.sliceMs - Date.now();
    this.sealTimer = setTimeout(
      () => {
        this.sealTimer = undefined;
        if (attestor.slicePoints > 0) this.append(Buffer.alloc(0), 0, SEAL_NOW);
      },
      Math.max(0, due),
    );
  }

  /**
   * A failed append (an I/O error the buffer's bounds did not foresee): counted, explained in the next
   * attestation, logged once per episode rather than per append.
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

  /** Whether every reading accepted so far is written to the buffer: none waits in a record or an append. */
  get written(): boolean {
    return this.count === 0 && this.pending.size === 0;
  }

  /**
   * Resolves once everything accepted so far is appended (durable under the fsync policy) or counted
   * as dropped. The turn's record is flushed by a setImmediate queued before this one, so batching
   * is kept: all callers of one turn share the record and its fsync.
   */
  durable = (): Promise<void> =>
    new Promise((resolve) => setImmediate(() => void Promise.all([...this.pending]).then(() => resolve())));

  /**
   * Appends what is pending, seals what is not attested yet (points, and drops noted since the last
   * attestation, so the store says how much was dropped even when no data follows), and waits.
   */
  async settle(): Promise<void> {
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    this.flush();
    if (this.attestor) this.append(Buffer.alloc(0), 0, SEAL_NOW);
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
  }
}
