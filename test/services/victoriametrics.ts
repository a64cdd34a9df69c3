import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireBinary } from './binaries.ts';
import { freePort } from './ports.ts';
import { ServiceProcess } from './process.ts';

export const victoriaBinary = requireBinary('victoria-metrics', 'victoria-metrics');

export interface VictoriaMetrics {
  url: string;
  /** Every series whose name matches, as VictoriaMetrics exports them (after a forced flush). */
  exportSeries(
    match: string,
  ): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]>;
  stop(): Promise<void>;
}

/**
 * A real VictoriaMetrics single node (it accepts InfluxDB line protocol on /write and /api/v2/write).
 * `extraArgs`: more flags, e.g. `-promscrape.config=FILE` to scrape a gateway's /metrics.
 */
export async function startVictoriaMetrics(extraArgs: readonly string[] = []): Promise<VictoriaMetrics> {
  if (!victoriaBinary.path) throw new Error('victoria-metrics is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = new ServiceProcess('victoria-metrics', victoriaBinary.path, [
    `-storageDataPath=${dir}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-search.latencyOffset=0s',
    ...extraArgs,
  ]);
  await proc.waitUntil(async () => (await fetch(`${url}/health`)).ok, 30_000);
  return {
    url,
    async exportSeries(match) {
      await fetch(`${url}/internal/force_flush`);
      const res = await fetch(`${url}/api/v1/export`, {
        method: 'POST',
        body: new URLSearchParams({ 'match[]': match }),
      });
      const text = await res.text();
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line));
    },
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
