import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway core's metrics (the collectors have theirs in collector/metrics.ts), on one registry. */
export class GatewayMetrics {
  readonly sinkSamples: Counter<'sink'>;
  readonly sinkDropped: Counter<'sink' | 'reason'>;
  readonly sinkErrors: Counter<'sink' | 'kind'>;
  readonly sinkWriteSeconds: Histogram<'sink'>;
  readonly sinkBacklogSamples: Gauge<'sink'>;
  readonly sinkBacklogAgeSeconds: Gauge<'sink'>;
  readonly bufferDropped: Counter<'reason'>;
  readonly bufferBytes: Gauge;
  readonly bufferCapacity: Gauge;
  readonly bufferCorruptTails: Gauge;
  readonly ingestDuplicates: Counter;
  readonly ingestNonFinite: Counter<'device'>;
  readonly ingestConflicts: Counter<'device'>;

  constructor(readonly registry: Registry) {
    // The process's own figures (resident memory, heap, event-loop delay, GC), as every Node exporter
    // has them: an edge box's memory is watched beside its throughput.
    collectDefaultMetrics({ register: registry });
    const registers = [registry];
    this.sinkSamples = new Counter({
      name: 'shugai_sink_samples_total',
      help: 'Samples a sink stored',
      labelNames: ['sink'],
      registers,
    });
    this.sinkDropped = new Counter({
      name: 'shugai_sink_dropped_samples_total',
      help: 'Samples a sink refused as bad data (400/422, NaN, too large) and the core dropped',
      labelNames: ['sink', 'reason'],
      registers,
    });
    this.sinkErrors = new Counter({
      name: 'shugai_sink_errors_total',
      help: 'Failed writes by kind: retry (network, 429, 5xx), auth (401/403), split (413)',
      labelNames: ['sink', 'kind'],
      registers,
    });
    this.sinkWriteSeconds = new Histogram({
      name: 'shugai_sink_write_seconds',
      help: 'Latency of one batch write',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.sinkBacklogSamples = new Gauge({
      name: 'shugai_sink_backlog_samples',
      help: 'Samples in the buffer the sink has not stored yet',
      labelNames: ['sink'],
      registers,
    });
    this.sinkBacklogAgeSeconds = new Gauge({
      name: 'shugai_sink_backlog_age_seconds',
      help: 'Age of the oldest sample the sink has not stored yet',
      labelNames: ['sink'],
      registers,
    });
    this.bufferDropped = new Counter({
      name: 'shugai_buffer_dropped_samples_total',
      help: 'Samples the buffer dropped by policy: full (drop-oldest), age, refused (refuse-new)',
      labelNames: ['reason'],
      registers,
    });
    this.bufferBytes = new Gauge({
      name: 'shugai_buffer_bytes',
      help: 'Bytes on disk in the buffer',
      registers,
    });
    this.bufferCapacity = new Gauge({
      name: 'shugai_buffer_capacity_bytes',
      help: 'Bytes the buffer may hold now: maxBytes, or less when the disk (free space less minFree) is the bound',
      registers,
    });
    this.ingestDuplicates = new Counter({
      name: 'shugai_ingest_duplicate_samples_total',
      help: 'Samples dropped at ingest as exact repeats of the previous sample of their tag (same source time and value)',
      registers,
    });
    this.ingestNonFinite = new Counter({
      name: 'shugai_ingest_nonfinite_samples_total',
      help: 'Readings of NaN or ±Infinity, kept as bad-quality samples with their text',
      labelNames: ['device'],
      registers,
    });
    this.ingestConflicts = new Counter({
      name: 'shugai_ingest_conflicting_samples_total',
      help: 'Readings dropped because their tag already had a reading with the same source time (the first is kept)',
      labelNames: ['device'],
      registers,
    });
    this.bufferCorruptTails = new Gauge({
      name: 'shugai_buffer_corrupt_tails',
      help: 'Corrupt tails found and set aside at start',
      registers,
    });
  }
}
