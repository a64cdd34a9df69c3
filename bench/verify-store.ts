/**
 * Verifying a store: a week of 1 s data from 20 devices (about 12 million points) in the embedded
 * store, checked by `verifyStore`, next to the store's own time to read the same windows (the
 * floor: a verifier has to read every point once). `--smoke`: 20 devices × 30 minutes.
 * The reads and verifications run in a child process, so its peak RSS is theirs, not the load's.
 * `--store influxdb`: the same in a real InfluxDB 1.x, read over its HTTP API (the baseline is then
 * InfluxDB's own query time for the windows).
 *
 *   node --import tsx bench/verify-store.ts [--smoke] [--devices N] [--hours H] [--store embedded|influxdb]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Attestor } from '../gateway/attest/attestor.ts';
import { initIdentity, loadPublicKey } from '../gateway/attest/identity.ts';
import { verifyStore } from '../gateway/attest/verify.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { InfluxReader } from '../gateway/sinks/influxdb/reader.ts';
import { influxSinkSchema } from '../gateway/sinks/influxdb/schema.ts';
import { InfluxSink } from '../gateway/sinks/influxdb/sink.ts';
import type { Sink, StoredSample } from '../gateway/sinks/sink.ts';
import type { SampleReader } from '../gateway/store/reader.ts';
import { startInfluxDB } from '../test/services/influxdb.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    devices: { type: 'string' },
    hours: { type: 'string' },
    store: { type: 'string', default: 'embedded' },
    /** Internal: the child that reads and verifies the store in this folder (and this InfluxDB). */
    child: { type: 'string' },
    'influx-url': { type: 'string' },
  },
});
const devices = Number(values.devices ?? 20);
const hours = Number(values.hours ?? (values.smoke ? 0.5 : 24 * 7));
const seconds = Math.round(hours * 3600);
const T0 = Date.UTC(2026, 10, 2, 0, 0);

const points = seconds * devices;
const window = { from: T0, to: T0 + seconds * 1000 };
const deviceId = (d: number) => `dev-${String(d).padStart(2, '0')}`;

if (values.store !== 'embedded' && values.store !== 'influxdb')
  throw new Error(`--store must be embedded or influxdb (got ${values.store})`);

if (values.child) await measure(values.child, values['influx-url']);
else {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-verify-'));
  const influx = values.store === 'influxdb' ? await startInfluxDB() : undefined;
  try {
    await load(dir, influx?.url);
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        import.meta.filename,
        ...process.argv.slice(2),
        '--child',
        dir,
        ...(influx ? ['--influx-url', influx.url] : []),
      ],
      { stdio: 'inherit' },
    );
    process.exitCode = child.status ?? 1;
  } finally {
    await influx?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function load(dir: string, influxUrl: string | undefined): Promise<void> {
  const { identity } = initIdentity(dir);
  let clock = T0;
  const attestor = new Attestor(identity, 'gw-bench', path.join(dir, 'chain.json'), () => clock);
  const store: Sink = influxUrl
    ? new InfluxSink(
        influxSinkSchema.parse({
          name: 'bench',
          type: 'influxdb',
          version: 1,
          url: influxUrl,
          database: 'bench',
        }),
        'gw-bench',
      )
    : new EmbeddedStore('bench', path.join(dir, 'samples.db'));
  if (store instanceof InfluxSink) await store.prepare();

  const loadStart = performance.now();
  let chunk: StoredSample[] = [];
  for (let s = 0; s < seconds; s++) {
    const t = T0 + s * 1000;
    clock = t + 50;
    const batch: StoredSample[] = [];
    for (let d = 0; d < devices; d++) {
      batch.push({
        device: deviceId(d),
        tag: 'value',
        type: 'number',
        value: Math.round(Math.sin(s / 7 + d) * 1e4) / 100,
        quality: 'good',
        statusCode: 0,
        sourceTime: t,
        receivedAt: t + 20,
      });
    }
    chunk.push(...batch, attestor.attest(batch));
    if (chunk.length >= 50_000) {
      const outcome = await store.write(chunk);
      if (outcome.kind !== 'ok') throw new Error(`load failed: ${JSON.stringify(outcome)}`);
      chunk = [];
    }
  }
  const last = await store.write(chunk);
  if (last.kind !== 'ok') throw new Error(`load failed: ${JSON.stringify(last)}`);
  console.log(
    `verify bench (${values.store}): ${devices} devices × ${hours} h at 1 s = ${points.toLocaleString('en')} points + ${seconds.toLocaleString('en')} attestations (loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s)`,
  );
  await store.close();
}

async function measure(dir: string, influxUrl: string | undefined): Promise<void> {
  const store: SampleReader = influxUrl
    ? new InfluxReader({ url: influxUrl, database: 'bench' })
    : new EmbeddedStore('bench', path.join(dir, 'samples.db'), { readonly: true });
  const publicKey = loadPublicKey(path.join(dir, 'identity', 'gateway.pub'));
  const runs = values.smoke ? 1 : 3;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  // The embedded store is read synchronously, so a timer would never sample it: take peaks instead.
  const peakMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

  const readAll = async (): Promise<number> => {
    const start = performance.now();
    let read = 0;
    for (let d = 0; d < devices; d++)
      for await (const _ of store.samples({ ...window, device: deviceId(d) })) read++;
    for await (const _ of store.samples({ ...window, device: '_gateway', tag: 'attestation' })) read++;
    if (read !== points + seconds) throw new Error(`read ${read} rows, expected ${points + seconds}`);
    return (performance.now() - start) / 1000;
  };
  // A first read, untimed, warms the store's caches; its peak RSS is the read's own. The timed
  // reads and verifications then alternate, so neither side gets the store in a better state (an
  // InfluxDB compacts for minutes after a bulk load).
  await readAll();
  const readPeak = peakMb();
  const readTimes: number[] = [];
  const verifyTimes: number[] = [];
  let clean = true;
  for (let r = 0; r < runs; r++) {
    readTimes.push(await readAll());
    const start = performance.now();
    const report = await verifyStore({
      reader: store,
      publicKey,
      gatewayId: 'gw-bench',
      window,
      now: () => window.to,
    });
    verifyTimes.push((performance.now() - start) / 1000);
    clean &&= report.clean;
  }
  const read = median(readTimes);
  const verify = median(verifyTimes);
  const runsText = `median of ${runs} run${runs > 1 ? 's' : ''}`;
  console.log(
    `store's own read of the same windows (baseline)  ${read.toFixed(2)} s   ${Math.round(points / read).toLocaleString('en')} points/s   peak RSS ${readPeak} MB   (${runsText})`,
  );
  console.log(
    `shugai verify                                    ${verify.toFixed(2)} s   ${Math.round(points / verify).toLocaleString('en')} points/s   peak RSS ${peakMb()} MB (process)   ratio ${(verify / read).toFixed(2)} × the read`,
  );
  await store.close();
  if (!clean) {
    console.error('verify bench: the untouched store did not verify clean');
    process.exitCode = 1;
  }
}
