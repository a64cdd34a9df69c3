/**
 * A collector whose driver module loads on first use. node-opcua alone takes over 100 MB and
 * seconds to load on a small box: a gateway without an OPC UA connection must not pay for it.
 */
import type { Device, Sample } from '../core/model.ts';
import type { Collector } from './collector.ts';

export class LazyCollector implements Collector {
  private loaded: Promise<Collector> | undefined;
  private stopped = false;

  constructor(
    readonly id: string,
    readonly devices: readonly Device[],
    private readonly load: () => Promise<Collector>,
  ) {}

  private driver(): Promise<Collector> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  async start(): Promise<void> {
    const driver = await this.driver();
    if (!this.stopped) await driver.start();
  }

  async readOnce(options?: { deviceId?: string; timeoutMs?: number }): Promise<Sample[]> {
    return (await this.driver()).readOnce(options);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loaded) await (await this.loaded).stop();
  }
}
