/**
 * Bytes per sample at rest in each store the gateway writes to, for the capacity note in
 * deploy/README.md: the realistic plant of the gateway benches (10,000 tags on 300 devices, polled
 * once a second) written through the gateway's own sinks into a real InfluxDB 1.x (until its TSM
 * files are compacted), a real VictoriaMetrics (flushed and merged) and the embedded SQLite store.
 * Baseline: the InfluxDB line protocol of the same samples, what travels on the wire uncompressed.
 * Also the size of one signed attestation (gateway/attest) of a batch from 1, 30 and 300 devices:
 * every batch the gateway appends carries one, and the store and the bureau's copy keep each.
 *
 *   node --import tsx bench/store-bytes.ts                 # 300 s of the plant: 3,000,000 samples
 *   node --import tsx bench/store-bytes.ts --smoke         # 20 s; exits 1 if a store lost samples
 *   options: --seconds S, --stores influxdb,victoriametrics,embedded (all by default)
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attestor } from '../gateway/attest/attestor.ts';
import { initIdentity } from '../gateway/attest/identity.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { influxV1Schema } from '../gateway/sinks/influxdb/schema.ts';
import { InfluxSink } from '../gateway/sinks/influxdb/sink.ts';
import { toLines } from '../gateway/sinks/line-protocol.ts';
import type { Sink, StoredSample } from '../gateway/sinks/sink.ts';
import { victoriaSinkSchema } from '../gateway/sinks/victoriametrics/schema.ts';
import { VictoriaSink } from '../gateway/sinks/victoriametrics/sink.ts';
import { influxdBinary, startInfluxDB } from '../test/services/influxdb.ts';
import { startVictoriaMetrics, victoriaBinary } from '../test/services/victoriametrics.ts';
import { fmt, influxPoints, line, numberOption, plant, poll, poll1, sleep, TAGS } from './gateway-shared.ts';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const SECONDS = numberOption(args, '--seconds', smoke ? 20 : 300);
const GATEWAY_ID = 'yk-cups-gw01';
const BATCH = 5000;
const at = args.indexOf('--stores');
const STORES = new Set(
  at >= 0 ? (args[at + 1] ?? '').split(',') : ['influxdb', 'victoriametrics', 'embedded'],
);

/** Every sample of the plant, second by second, in batches of the forwarder's default size. */
function* batches(base: number): Generator<StoredSample[]> {
  const devices = plant();
  let pending: StoredSample[] = [];
  for (let s = 0; s < SECONDS; s++) {
    for (const [d, device] of devices.entries()) {
      pending.push(...poll1(device, d, s, base));
      if (pending.length >= BATCH) {
        yield pending;
        pending = [];
      }
    }
  }
  if (pending.length > 0) yield pending;
}

async function writeAll(
  sink: Sink,
  base: number,
): Promise<{ samples: number; lineBytes: number; seconds: number }> {
  let samples = 0;
  let lineBytes = 0;
  const started = performance.now();
  for (const batch of batches(base)) {
    const outcome = await sink.write(batch);
    if (outcome.kind !== 'ok')
      throw new Error(`${sink.name}: ${outcome.kind} ${'reason' in outcome ? outcome.reason : ''}`);
    samples += batch.length;
    lineBytes += Buffer.byteLength(toLines(batch, { measurement: 'samples', gatewayId: GATEWAY_ID }));
  }
  return { samples, lineBytes, seconds: (performance.now() - started) / 1000 };
}

async function du(dir: string, keep: (file: string) => boolean = () => true): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && keep(file)) total += (await stat(file)).size;
  }
  return total;
}

const influxSinkConfig = (url: string) =>
  influxV1Schema.parse({ name: 'bench', type: 'influxdb', version: 1, url, database: 'store' });

/** Bytes of the attestation of one poll of the first `devices` devices, as stored (its JSON text). */
function attestationBytes(dir: string, devices: number, base: number): number {
  const attestor = new Attestor(
    initIdentity(dir).identity,
    GATEWAY_ID,
    path.join(dir, `chain-${devices}.json`),
  );
  const batch = plant()
    .slice(0, devices)
    .flatMap((device, d) => poll1(device, d, 0, base));
  return Buffer.byteLength(String(attestor.attest(batch).value));
}

async function main(): Promise<void> {
  if (!influxdBinary.available || !victoriaBinary.available) {
    console.error('store-bytes: needs influxd and victoria-metrics installed');
    process.exitCode = 1;
    return;
  }
  const base = Date.now() - 86_400_000;
  const expected = TAGS * SECONDS;
  console.log(
    `Bytes per sample at rest: ${fmt(TAGS)} tags at 1 s for ${fmt(SECONDS)} s = ${fmt(expected)} samples`,
  );
  let lost = false;
  const lose = () => {
    lost = true;
  };
  if (STORES.has('influxdb')) await influxBytes(base, lose);
  if (STORES.has('victoriametrics')) await victoriaBytes(base, lose);
  if (STORES.has('embedded')) await embeddedBytes(base);
  if (lost) {
    console.error('store-bytes: a store holds fewer samples than were written');
    process.exitCode = 1;
  }
}

async function influxBytes(base: number, lost: () => void): Promise<void> {
  // InfluxDB 1.x: snapshots and full compactions after 1-2 s without writes, so TSM is what is measured.
  const influx = await startInfluxDB({
    dataConfig: ['cache-snapshot-write-cold-duration = "1s"', 'compact-full-write-cold-duration = "2s"'],
  });
  try {
    const sink = new InfluxSink(influxSinkConfig(influx.url), GATEWAY_ID);
    await sink.prepare();
    const written = await writeAll(sink, base);
    const shardDir = path.join(influx.dir, 'data', 'store');
    const walDir = path.join(influx.dir, 'wal', 'store');
    // Compacted: the WAL holds no data and the TSM files stopped changing.
    let last = -1;
    await poll(
      async () => {
        const wal = await du(walDir, (f) => f.endsWith('.wal'));
        const tsm = await du(shardDir);
        const stable = wal === 0 && tsm === last;
        last = tsm;
        return stable;
      },
      600_000,
      3000,
    );
    const bytes = await du(shardDir);
    const stored = await influxPoints(influx, 'store');
    if (stored !== written.samples) lost();
    line('line protocol (baseline)', `${fmt(written.lineBytes / written.samples, 1)} bytes/sample`);
    line(
      'InfluxDB 1.x, compacted TSM',
      `${fmt(bytes / written.samples, 2)} bytes/sample (${fmt(bytes / 1e6, 1)} MB; ${fmt(stored)} of ${fmt(written.samples)} stored; written at ${fmt(written.samples / written.seconds)}/s)`,
    );
    await sink.close();
  } finally {
    await influx.stop();
  }
}

async function victoriaBytes(base: number, lost: () => void): Promise<void> {
  const vm = await startVictoriaMetrics();
  try {
    const sink = new VictoriaSink(
      victoriaSinkSchema.parse({ name: 'bench', type: 'victoriametrics', url: vm.url }),
      GATEWAY_ID,
    );
    const written = await writeAll(sink, base);
    await fetch(`${vm.url}/internal/force_flush`);
    await sleep(2000);
    const partition = new Date(base).toISOString().slice(0, 7).replace('-', '_');
    await fetch(`${vm.url}/internal/force_merge?partition_prefix=${partition}`);
    // Merges run in the background; the size settles when they are done.
    let last = -1;
    let bytes = 0;
    await poll(
      async () => {
        const text = await (await fetch(`${vm.url}/metrics`)).text();
        bytes = [...text.matchAll(/^vm_data_size_bytes\{[^}]*\} (\d+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
        const stable = bytes === last;
        last = bytes;
        return stable;
      },
      300_000,
      3000,
    );
    const series = await vm.exportSeries('{__name__="samples_received"}');
    const stored = series.reduce((n, s) => n + s.values.length, 0);
    if (stored !== written.samples) lost();
    line(
      'VictoriaMetrics, merged',
      `${fmt(bytes / written.samples, 2)} bytes/sample (${fmt(bytes / 1e6, 1)} MB; each sample is 2-5 series: value, received, status, the two halves of a non-whole float's bits; ${fmt(stored)} of ${fmt(written.samples)} stored; written at ${fmt(written.samples / written.seconds)}/s)`,
    );
    await sink.close();
  } finally {
    await vm.stop();
  }
}

async function embeddedBytes(base: number): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-store-'));
  try {
    const sizes = [1, 30, 300].map(
      (n) => `${fmt(attestationBytes(path.join(dir, 'identity'), n, base))} (${n})`,
    );
    line('one attestation, bytes (devices)', sizes.join(', '));
    const file = path.join(dir, 'samples.db');
    const store = new EmbeddedStore('bench', file);
    const written = await writeAll(store, base);
    await store.close();
    const bytes = await du(dir, (f) => f.startsWith(`${file}`));
    line(
      'embedded store (SQLite)',
      `${fmt(bytes / written.samples, 1)} bytes/sample (${fmt(bytes / 1e6, 1)} MB; written at ${fmt(written.samples / written.seconds)}/s)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
