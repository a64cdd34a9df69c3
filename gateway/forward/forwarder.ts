/**
 * Moves samples from the durable log to one sink: batching, retries with backoff, the outcome
 * policy, and the backlog drain. The sink only writes and classifies (gateway/sinks/sink.ts).
 *
 * Live data goes first: after an outage (or a start with a backlog) the live cursor jumps to the
 * last `liveWindowMs` of data, so a dashboard shows the present at once, and the older backlog
 * drains behind it at `backlogRate` samples/s. Everything sent is acknowledged in the log by
 * sequence range, so nothing is freed before the sink stored it and nothing is sent twice after a
 * restart (a point that is sent twice anyway, after a crash mid-write, is the same point).
 */
import { ConditionLog } from '../../collector/conditions.ts';
import type { Logger } from '../../core/log.ts';
import type { DurableLog, LogRecord } from '../buffer/log.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { Batch, type Sink, type WriteOutcome } from '../sinks/sink.ts';

export interface ForwarderOptions {
  /** Most samples in one write. */
  batchMaxSamples: number;
  /** Live data waits at most this long before it is written (ms). */
  flushIntervalMs: number;
  /** Backlog samples written per second, beside live data. */
  backlogRate: number;
  /** After an outage, data younger than this counts as live (ms). */
  liveWindowMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Wait after 401/403 before trying again (ms). */
  authRetryMs: number;
  /** The gateway's id, for records written before version 2 (their lines are made here). */
  gatewayId: string;
  /** How long the trickle a streaming round left behind waits for more (ms; default TRICKLE_WAIT_MS). */
  trickleWaitMs?: number;
}

/** Writes to a sink on their way at once, so one is prepared while the other is answered. */
const IN_FLIGHT = 2;

/**
 * While data streams in, what came during a round's writes waits this long for more before it goes
 * (at most flushIntervalMs): writes stay large, and the end of a stream is not held back a whole
 * flush interval.
 */
export const TRICKLE_WAIT_MS = 50;

export const DEFAULT_FORWARDER_OPTIONS: Omit<ForwarderOptions, 'gatewayId'> = {
  // InfluxDB's cost a point falls with the lines a POST carries: ten-value MQTT bursts stored at
  // ~150k samples/s in writes of 10,000 against ~133k in writes of 5,000 (six alternating pairs).
  batchMaxSamples: 10_000,
  flushIntervalMs: 1000,
  backlogRate: 20_000,
  liveWindowMs: 10_000,
  retryInitialMs: 1000,
  retryMaxMs: 60_000,
  authRetryMs: 60_000,
};

export class SinkForwarder {
  private liveCursor: number;
  private pendingLive = 0;
  /** The last round left a trickle of live data behind (data is streaming in). */
  private trickle = false;
  private failures = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly conditions: ConditionLog;
  private backlogTokens = 0;
  private lastRefill: number;
  private authBlocked = false;
  private retryAfterMs: number | undefined;

  constructor(
    private readonly log: DurableLog,
    private readonly sink: Sink,
    private readonly options: ForwarderOptions,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.conditions = new ConditionLog(logger);
    this.liveCursor = 0;
    this.lastRefill = now();
  }

  async start(): Promise<void> {
    await this.log.addReader(this.sink.name);
    this.jumpToPresent();
    this.running = this.loop();
  }

  /** Tells the forwarder that `samples` new samples were appended. */
  notify(samples: number): void {
    this.pendingLive += samples;
    if (this.pendingLive >= this.options.batchMaxSamples) this.wake?.();
  }

  /**
   * Stops after the write in progress; with `flushUntil` (a time in ms) it then writes what it can
   * until that deadline. Unsent data stays in the log for the next start.
   */
  async stop(options: { flushUntil?: number } = {}): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    const deadline = options.flushUntil;
    if (deadline === undefined) return;
    this.backlogTokens = Number.POSITIVE_INFINITY;
    try {
      if (!(await this.sendLive(deadline))) return;
      while (this.now() < deadline && this.log.position(this.sink.name) < this.liveCursor) {
        if (!(await this.sendBacklog())) return;
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'final flush failed; samples stay in the buffer');
    }
  }

  private jumpToPresent(): void {
    const next = this.log.position(this.sink.name);
    const present = this.log.firstSeqSince(this.now() - this.options.liveWindowMs);
    this.liveCursor = Math.max(this.liveCursor, next, present);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const delay = await this.cycle();
      if (this.stopped) break;
      await this.sleep(delay);
    }
  }

  /**
   * One round: live data, then a slice of backlog. Returns how long to wait before the next round.
   * The backlog gauges are set after every round, failed or not: an alert on them must fire during
   * an outage, not only once it is over.
   */
  private async cycle(): Promise<number> {
    try {
      return await this.round();
    } finally {
      this.updateBacklogGauges();
    }
  }

  private async round(): Promise<number> {
    try {
      if (!(await this.sendLive())) return this.backoffDelay();
      this.refillTokens();
      while (
        !this.stopped &&
        this.backlogTokens >= 1 &&
        this.log.position(this.sink.name) < this.liveCursor
      ) {
        if (!(await this.sendBacklog())) return this.backoffDelay();
        // Live data keeps priority between backlog batches, whatever the backlog rate.
        if (!(await this.sendLive())) return this.backoffDelay();
      }
      if (this.log.position(this.sink.name) < this.liveCursor)
        return Math.min(this.options.flushIntervalMs, 100);
      if (this.trickle)
        return Math.min(this.options.flushIntervalMs, this.options.trickleWaitMs ?? TRICKLE_WAIT_MS);
      return this.options.flushIntervalMs;
    } catch (error) {
      // A failure of our own (reading the log) must not kill the loop; it is logged and retried.
      this.conditions.raise({ device: `sink:${this.sink.name}` }, 'forward_error', 'forwarding failed', {
        err: (error as Error).message,
      });
      this.failures++;
      return this.backoffDelay();
    }
  }

  /**
   * Sends the live records (until `deadline`), IN_FLIGHT writes at a time: the next batch is read and
   * written while the one before is on its way. After the round's first batch only batches at least
   * half full go: while data streams in, the trickle that arrived during a write waits for the next
   * round (a full batch's notify, or TRICKLE_WAIT_MS) instead of going as a write of its own (at 60k
   * samples/s, one write per ~500 samples, each with its fixed cost at both ends). A final
   * flush (a finite `deadline`) sends everything. False when a write must be retried later; the live
   * cursor then stays where the first unsent batch begins (what was sent after it is sent again:
   * the same points).
   */
  private async sendLive(deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.pendingLive = 0;
    this.trickle = false;
    const inFlight: { end: number; sent: Promise<boolean> }[] = [];
    let cursor = this.liveCursor;
    let ok = true;
    let first = true;
    const settle = async () => {
      const oldest = inFlight.shift() as { end: number; sent: Promise<boolean> };
      if ((await oldest.sent) && ok) this.liveCursor = Math.max(this.liveCursor, oldest.end);
      else ok = false;
    };
    while (ok && this.now() < deadline) {
      // Coming back from failures, one write at a time: the first success jumps to the present.
      if (this.failures > 0 && inFlight.length > 0) await settle();
      if (!ok) break;
      cursor = Math.max(cursor, this.liveCursor);
      const records = await this.readBatch(cursor, Number.POSITIVE_INFINITY);
      if (records.length === 0) break;
      const samples = records.reduce((sum, r) => sum + r.count, 0);
      if (!first && deadline === Number.POSITIVE_INFINITY && samples < this.options.batchMaxSamples / 2) {
        // Everything unsent is in this read: counted as pending, a full batch's notify still wakes the loop on time.
        this.pendingLive = samples;
        this.trickle = true;
        break;
      }
      first = false;
      cursor = (records.at(-1) as LogRecord).seq + 1;
      inFlight.push({ end: cursor, sent: this.deliver(records) });
      if (inFlight.length >= IN_FLIGHT) await settle();
    }
    while (inFlight.length > 0) await settle();
    return ok;
  }

  /** Sends one batch of backlog (below the live cursor); false when it must be retried later. */
  private async sendBacklog(): Promise<boolean> {
    const position = this.log.readerPosition(this.sink.name);
    const end = Math.min(position.gapEnd, this.liveCursor);
    const records = await this.readBatch(position.next, end);
    if (records.length === 0) return true;
    if (!(await this.deliver(records))) return false;
    this.backlogTokens -= records.reduce((sum, r) => sum + r.count, 0);
    return true;
  }

  /** Consecutive records from `from` (below `end`) holding at most batchMaxSamples (at least one record). */
  private async readBatch(from: number, end: number): Promise<LogRecord[]> {
    const records = await this.log.readFrom(from, Math.min(1024, end - from), this.options.batchMaxSamples);
    return records.filter((r) => r.seq < end);
  }

  /** Writes records to the sink and acknowledges them; false when they must be retried. */
  private async deliver(records: LogRecord[]): Promise<boolean> {
    const ok = await this.write(Batch.ofRecords(records, this.options.gatewayId));
    if (!ok) return false;
    await this.log.ack(this.sink.name, (records[0] as LogRecord).seq, (records.at(-1) as LogRecord).seq + 1);
    if (this.failures > 0) {
      this.failures = 0;
      this.conditions.clear({ device: `sink:${this.sink.name}` }, 'write_failed');
      this.conditions.clear({ device: `sink:${this.sink.name}` }, 'auth_failed');
      this.jumpToPresent();
    }
    return true;
  }

  /** Writes a batch, splitting on 413; true when it is stored or dropped by policy. */
  private async write(batch: Batch): Promise<boolean> {
    const started = this.now();
    const outcome = await this.sink
      .write(batch)
      .catch((error: Error): WriteOutcome => ({ kind: 'retry', reason: `sink failed: ${error.message}` }));
    this.metrics.sinkWriteSeconds.observe({ sink: this.sink.name }, (this.now() - started) / 1000);
    const subject = { device: `sink:${this.sink.name}` };
    switch (outcome.kind) {
      case 'ok':
        this.metrics.sinkSamples.inc({ sink: this.sink.name }, batch.count);
        return true;
      case 'drop':
        this.metrics.sinkSamples.inc({ sink: this.sink.name }, Math.max(0, batch.count - outcome.rejected));
        this.metrics.sinkDropped.inc({ sink: this.sink.name, reason: 'rejected' }, outcome.rejected);
        this.logger.warn(
          { sink: this.sink.name, rejected: outcome.rejected, reason: outcome.reason },
          'sink rejected samples as bad data; dropped',
        );
        return true;
      case 'split': {
        this.metrics.sinkErrors.inc({ sink: this.sink.name, kind: 'split' });
        const halves = batch.halves();
        if (!halves) {
          const [sample] = batch.samples();
          this.metrics.sinkDropped.inc({ sink: this.sink.name, reason: 'too_large' }, batch.count);
          this.logger.warn(
            { sink: this.sink.name, device: sample?.device, tag: sample?.tag },
            'a single sample is too large for the sink; dropped',
          );
          return true;
        }
        return (await this.write(halves[0])) && (await this.write(halves[1]));
      }
      case 'auth':
        this.metrics.sinkErrors.inc({ sink: this.sink.name, kind: 'auth' });
        this.conditions.raise(
          subject,
          'auth_failed',
          'sink refused the credentials; buffering until they work',
          { reason: outcome.reason },
        );
        this.failures++;
        this.authBlocked = true;
        return false;
      case 'retry':
        this.metrics.sinkErrors.inc({ sink: this.sink.name, kind: 'retry' });
        this.conditions.raise(subject, 'write_failed', 'sink write failed; buffering and retrying', {
          reason: outcome.reason,
        });
        this.failures++;
        this.retryAfterMs = outcome.retryAfterMs;
        return false;
    }
  }

  /** Exponential backoff with full jitter, at least the peer's Retry-After; the auth wait after 401/403. */
  private backoffDelay(): number {
    if (this.authBlocked) {
      this.authBlocked = false;
      return this.options.authRetryMs;
    }
    const ceiling = Math.min(
      this.options.retryMaxMs,
      this.options.retryInitialMs * 2 ** Math.min(this.failures - 1, 20),
    );
    const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
    const retryAfter = this.retryAfterMs ?? 0;
    this.retryAfterMs = undefined;
    return Math.min(Math.max(jittered, retryAfter), Math.max(this.options.retryMaxMs, retryAfter));
  }

  private refillTokens(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.lastRefill) / 1000;
    this.lastRefill = now;
    // At most one second of burst, so a long idle period does not turn into a flood.
    this.backlogTokens = Math.min(
      this.options.backlogRate,
      this.backlogTokens + elapsed * this.options.backlogRate,
    );
  }

  private updateBacklogGauges(): void {
    const position = this.log.readerPosition(this.sink.name);
    const stats = this.log.stats();
    const labels = { sink: this.sink.name };
    const oldest = position.next < stats.nextSeq ? this.log.recordTime(position.next) : undefined;
    this.metrics.sinkBacklogAgeSeconds.set(
      labels,
      oldest === undefined ? 0 : Math.max(0, (this.now() - oldest) / 1000),
    );
    this.metrics.sinkBacklogSamples.set(labels, this.log.backlog(position).samples);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
