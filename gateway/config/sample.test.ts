import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { loadGatewayConfig } from './schema.ts';

describe('gateway/sample.yaml', () => {
  it('is a valid config and means what the README says', () => {
    const config = loadGatewayConfig(path.resolve(import.meta.dirname, '../sample.yaml'), PLUGINS, {
      INFLUX_PASSWORD: 'pw',
    });
    expect(config.buffer).toEqual({
      maxBytes: 2 * 1024 ** 3,
      maxAge: 14 * 86_400_000,
      segmentBytes: 16 * 1024 ** 2,
      minFree: { percent: 10, bytes: 1024 ** 3 },
      fsync: 'always',
      whenFull: 'drop-oldest',
    });
    expect(config.sinks.map((s) => s.name)).toEqual(['influx', 'local']);
    expect(config.forward).toMatchObject({ flushInterval: 1000, liveWindow: 10_000 });
    expect(config.derived.oee[0]).toMatchObject({ idealCycleTime: 12_000, timezone: 'Asia/Shanghai' });
  });
});
