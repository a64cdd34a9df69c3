/**
 * The latest sample of every tag of a push collector (MQTT, Sparkplug B), for readOnce: a push
 * protocol cannot be polled, so a one-shot read waits until each tag has been heard from.
 * Samples are kept only while a read is on: a running gateway would otherwise hold every tag's
 * newest sample object just long enough for V8 to move it to the old generation, as garbage, at
 * thousands of samples a second. Also counts delivered samples in the collector metrics.
 */
import { randomBytes } from 'node:crypto';
import type { Device, Sample } from '../../core/model.ts';
import type { CollectorMetrics } from '../metrics.ts';

/** The client id of a one-shot read: never the gateway's own, which would take over its session. */
export function readClientId(clientId: string): string {
  return `${clientId}-read-${randomBytes(4).toString('hex')}`;
}

export class LatestValues {
  /** The newest sample by device, then tag: two lookups, no key string built per sample. */
  private readonly latest = new Map<string, Map<string, Sample>>();
  private readonly waiters = new Set<() => void>();
  /** Reads in progress (readOnce): samples are kept while there is one. */
  private reads = 0;

  constructor(
    private readonly devices: readonly Device[],
    private readonly metrics: CollectorMetrics,
  ) {}

  /** Records delivered samples: counts them and keeps the newest per tag. */
  record(samples: readonly Sample[]): void {
    for (const sample of samples) this.metrics.delivered(sample.device, sample.quality);
    if (this.reads === 0) return;
    for (const sample of samples) {
      let tags = this.latest.get(sample.device);
      if (!tags) {
        tags = new Map();
        this.latest.set(sample.device, tags);
      }
      const previous = tags.get(sample.tag);
      if (previous === undefined || previous.sourceTime <= sample.sourceTime) tags.set(sample.tag, sample);
    }
    for (const waiter of this.waiters) waiter();
  }

  /**
   * The latest sample of each tag (of one device, or all), once every tag has one or after
   * timeoutMs, whichever comes first; tags never heard from are missing from the result.
   */
  async wait(deviceId: string | undefined, timeoutMs: number, connectionId: string): Promise<Sample[]> {
    const devices = deviceId === undefined ? this.devices : this.devices.filter((d) => d.id === deviceId);
    if (devices.length === 0) throw new Error(`connection ${connectionId} has no device ${deviceId}`);
    const keys = devices.flatMap((d) => d.tags.map((t) => [d.id, t.id] as const));
    const latest = ([device, tag]: readonly [string, string]) => this.latest.get(device)?.get(tag);
    const complete = () => keys.every((k) => latest(k) !== undefined);
    if (!complete()) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        };
        const check = () => {
          if (complete()) done();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiters.add(check);
      });
    }
    return keys.flatMap((k) => {
      const sample = latest(k);
      return sample ? [sample] : [];
    });
  }

  /**
   * readOnce of a push collector: the latest values that arrive while it waits (retained ones
   * first), over `own` (a link of the read's own, started and stopped here) when the collector is
   * not running.
   */
  async readOnce(
    options: { deviceId?: string; timeoutMs?: number },
    connectionId: string,
    own: { start(): Promise<void>; stop(): Promise<void> } | undefined,
  ): Promise<Sample[]> {
    this.reads += 1;
    try {
      await own?.start();
      return await this.wait(options.deviceId, options.timeoutMs ?? 10_000, connectionId);
    } finally {
      this.reads -= 1;
      if (this.reads === 0) this.latest.clear();
      await own?.stop();
    }
  }
}
