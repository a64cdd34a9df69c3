// A gateway that died after writing points to its buffer and before sealing them (an attestation
// covers a slice of about a second): at the next start it attests them before anything else, so the
// store verifies clean with every point covered.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { verifyStore } from '../../gateway/attest/verify.ts';
import { DurableLog } from '../../gateway/buffer/log.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { toLines } from '../../gateway/sinks/line-protocol.ts';
import type { StoredSample } from '../../gateway/sinks/sink.ts';
import { loadPlant, until } from './plant.ts';

const T = Date.UTC(2026, 0, 8, 8);
const point = (i: number): StoredSample => ({
  device: 'press',
  tag: 'count',
  type: 'integer',
  value: i,
  quality: 'good',
  statusCode: 0,
  sourceTime: T + i * 1000,
  receivedAt: T + i * 1000,
});

describe('points left unsealed by a crash', () => {
  it('are attested at the next start; the store verifies clean', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-seal-'));
    const file = path.join(dir, 'plant.yaml');
    await writeFile(
      file,
      [
        'gateway: { id: gw-seal, dataDir: ./data }',
        'http: { port: 0 }',
        'sinks: [{ type: embedded }]',
        '',
      ].join('\n'),
    );
    // A first run makes the identity and a chain; then a crash leaves two records unsealed.
    await (await Gateway.start(loadPlant(file), PLUGINS, silentLogger)).stop();
    const log = await DurableLog.open({
      dir: path.join(dir, 'data', 'buffer'),
      maxBytes: 1e9,
      maxAgeMs: 0,
      segmentBytes: 1e7,
      fsync: { mode: 'always' },
      whenFull: 'drop-oldest',
      log: silentLogger,
    });
    const records = [
      Array.from({ length: 5 }, (_, i) => point(i)),
      Array.from({ length: 3 }, (_, i) => point(5 + i)),
    ];
    for (const samples of records)
      await log.append(
        Buffer.from(toLines(samples, { measurement: 'samples', gatewayId: 'gw-seal' })),
        samples.length,
      );
    await log.close();

    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    const store = path.join(dir, 'data', 'samples.db');
    const points = async () => {
      const reader = new EmbeddedStore('check', store, { readonly: true });
      const n = (await reader.summarize({ from: T, to: T + 60_000 })).reduce(
        (sum, s) => sum + s.counts.good,
        0,
      );
      await reader.close();
      return n;
    };
    await until(async () => (await points()) === 8, 20_000, 'the eight points stored');
    await gateway.stop();

    const reader = new EmbeddedStore('check', store, { readonly: true });
    const report = await verifyStore({
      reader,
      publicKey: createPublicKey(await readFile(path.join(dir, 'data', 'identity', 'gateway.pub'))),
      gatewayId: 'gw-seal',
      window: { from: T - 60_000, to: Date.now() + 60_000 },
    });
    await reader.close();
    expect(report.findings).toEqual([]);
    expect(report.devices).toEqual([
      expect.objectContaining({ device: 'press', attestedPoints: 8, unattestedPoints: 0 }),
    ]);
  });
});
