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

/**
 * A window of one gateway's data. Several gateways may write into one InfluxDB database (a site with
 * two boxes): each point carries its gateway's id (the `gateway` tag), and a read scoped to a gateway
 * sees only that gateway's points. The embedded store lives in one gateway's data folder and holds
 * that gateway's data only, so it has no gateway column and ignores the scope.
 */
export interface StoreScope extends TimeWindow {
  gateway?: string;
}

export interface SampleQuery extends StoreScope {
  device?: string;
  tag?: string;
}

export interface SampleReader {
  summarize(window: StoreScope): Promise<SeriesSummary[]>;
  /** Samples in time order (then device, tag). */
  samples(query: SampleQuery): AsyncIterable<StoredSample>;
  close(): Promise<void>;
}
