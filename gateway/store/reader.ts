/**
 * The read interface of a sample store, implemented by the embedded store, InfluxDB and VictoriaMetrics,
 * so the assessment and the verifier query any of them the same way.
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
  /**
   * False for a store that cannot keep attestations (VictoriaMetrics holds numbers): they are read
   * from the bureau's copy instead, and a verification without it is refused, not reported as
   * "unattested" everywhere.
   */
  readonly holdsAttestations?: boolean;
  summarize(window: StoreScope): Promise<SeriesSummary[]>;
  /** Samples in time order (then device, tag). */
  samples(query: SampleQuery): AsyncIterable<StoredSample>;
  close(): Promise<void>;
}
