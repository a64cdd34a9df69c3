import { Counter, Gauge, Registry } from 'prom-client';
import type { Quality } from '../core/model.ts';

/**
 * Per-device collector metrics, exported by the gateway on /metrics. One instance per gateway; the
 * collectors only increment.
 */
export class CollectorMetrics {
  readonly registry: Registry;
  /** Samples delivered by a driver, by device and quality (drivers count them with `delivered`). */
  readonly samples: Counter<'device' | 'quality'>;
  /** Delivered samples not yet in `samples`, by device and quality. */
  private readonly uncounted = new Map<string, Record<Quality, number>>();
  private lastDevice: string | undefined;
  private lastCounts: Record<Quality, number> | undefined;
  /** Failures by device and kind (timeout, exception, malformed_payload, unknown_alias, disconnected, …). */
  readonly errors: Counter<'device' | 'kind'>;
  /** 1 while the device's link is connected, else 0. */
  readonly connected: Gauge<'device'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.samples = new Counter({
      name: 'shugai_collector_samples_total',
      help: 'Samples delivered by collectors',
      labelNames: ['device', 'quality'],
      registers: [registry],
      // prom-client runs this before every read of the counter (a scrape, `count`).
      collect: () => this.moveUncounted(),
    });
    this.errors = new Counter({
      name: 'shugai_collector_errors_total',
      help: 'Collector errors by device and kind',
      labelNames: ['device', 'kind'],
      registers: [registry],
    });
    this.connected = new Gauge({
      name: 'shugai_collector_connected',
      help: '1 while the device link is connected',
      labelNames: ['device'],
      registers: [registry],
    });
  }

  /**
   * Counts samples a driver delivered. Plain additions on the hot path: a prom-client `inc` hashes
   * its labels on every call (1–2% of the gateway's CPU at one sample per MQTT message); the sums
   * move into the counter when it is read.
   */
  delivered(device: string, quality: Quality, samples = 1): void {
    // A message's samples are of one device: its sums are looked up once.
    let counts = device === this.lastDevice ? this.lastCounts : this.uncounted.get(device);
    if (!counts) {
      counts = { good: 0, uncertain: 0, bad: 0 };
      this.uncounted.set(device, counts);
    }
    this.lastDevice = device;
    this.lastCounts = counts;
    counts[quality] += samples;
  }

  private moveUncounted(): void {
    for (const [device, counts] of this.uncounted)
      for (const quality of ['good', 'uncertain', 'bad'] as const) {
        if (counts[quality] === 0) continue;
        this.samples.inc({ device, quality }, counts[quality]);
        counts[quality] = 0;
      }
  }

  /** Current value of a counter series, for tests and `shugai read`. */
  async count(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
    const data = await counter.get();
    const match = data.values.find((v) =>
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
    );
    return match?.value ?? 0;
  }
}
