import { Counter, Gauge, Registry } from 'prom-client';

/**
 * Per-device collector metrics, exported by the gateway on /metrics. One instance per gateway; the
 * collectors only increment.
 */
export class CollectorMetrics {
  readonly registry: Registry;
  /** Samples delivered by a driver, by device and quality. */
  readonly samples: Counter<'device' | 'quality'>;
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

  /** Current value of a counter series, for tests and `shugai read`. */
  async count(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
    const data = await counter.get();
    const match = data.values.find((v) =>
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
    );
    return match?.value ?? 0;
  }
}
