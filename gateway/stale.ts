/**
 * When a collector loses its connection (an OPC UA session, a Modbus link, an MQTT broker), the
 * last value of each of its tags would stand in the store as if it were still true. The collector
 * says so (`linkLost`), and each tag's last good value is written again once, marked bad with
 * STATUS_NO_COMMUNICATION at the gateway's time; the first fresh reading makes the tag good again.
 */
import { type Sample, STATUS_NO_COMMUNICATION } from '../core/model.ts';

export class StaleMarker {
  /** The last good sample of each tag, by device. */
  private readonly last = new Map<string, Map<string, Sample>>();
  /** Devices already marked since their link was lost. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly deliver: (samples: Sample[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Passes samples on, remembering each tag's last good one. */
  accept = (samples: Sample[]): void => {
    for (const s of samples) {
      if (s.quality !== 'good') continue;
      let tags = this.last.get(s.device);
      if (!tags) {
        tags = new Map();
        this.last.set(s.device, tags);
      }
      tags.set(s.tag, s);
      this.stale.delete(s.device);
    }
    this.deliver(samples);
  };

  /** Marks the last good value of every tag of `devices` bad, once per loss. */
  linkLost = (devices: readonly string[]): void => {
    const time = this.now();
    const marked: Sample[] = [];
    for (const device of devices) {
      if (this.stale.has(device)) continue;
      this.stale.add(device);
      for (const s of this.last.get(device)?.values() ?? [])
        marked.push({
          ...s,
          quality: 'bad',
          statusCode: STATUS_NO_COMMUNICATION,
          sourceTime: time,
          receivedAt: time,
        });
      // A good value is needed to be good again: forget the old ones.
      this.last.delete(device);
    }
    if (marked.length > 0) this.deliver(marked);
  };
}
