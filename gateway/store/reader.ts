/**
 * The read interface of a sample store, implemented by the embedded store and by InfluxDB, so the
 * assessment and the verifier query either the same way.
 */
import type { Quality } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';

export interface TimeWindow {
  /** Inclusive start, ms since epoch. */
  from: number;
  /** Exclusive end, ms since epoch. */
  to: number;
}

/** Per device and tag: how many samples of each quality the window holds, and their time span. */
export interface SeriesSummary {
  device: string;
  tag: string;
  counts: Record<Quality, number>;
  first: number;
  last: number;
}

export interface SampleQuery extends TimeWindow {
  device?: string;
  tag?: string;
}

export interface SampleReader {
  summarize(window: TimeWindow): Promise<SeriesSummary[]>;
  /** Samples in time order (then device, tag). */
  samples(query: SampleQuery): AsyncIterable<StoredSample>;
  close(): Promise<void>;
}
