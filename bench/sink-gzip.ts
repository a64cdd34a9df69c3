/**
 * Compression of the InfluxDB sink's bodies: what gzip costs the gateway (CPU per sample) and saves
 * on the wire (bytes per sample), at each level, against sending the body as it is (the baseline,
 * in the same run). Bodies are what the sink posts: 5,000 samples of line protocol (the forwarder's
 * batchMaxSamples), from the buffer bench's 10,000-tag plant and from the MQTT ingest workload. Then
 * the time a batch takes to leave the box (compress + send) on a LAN and on a 4G uplink, the figure
 * the sink's default is chosen on. Median of 15 runs after 5 warm-ups.
 *
 *   node --import tsx bench/sink-gzip.ts
 *   node --import tsx bench/sink-gzip.ts --smoke   # fewer batches; exits 1 if a body does not round-trip
 */
import { performance } from 'node:perf_hooks';
import { gunzipSync, gzipSync } from 'node:zlib';
import { burstSamples, fmt, lineProtocolLines, median, plant, poll1 } from './gateway-shared.ts';

const smoke = process.argv.includes('--smoke');
const BATCH = 5000;
const WARMUP = smoke ? 1 : 5;
const RUNS = smoke ? 3 : 15;
const LEVELS = [0, 1, 3, 6, 9] as const;
/** Bytes per second of two uplinks: a plant LAN (100 Mbit/s) and a 4G router (10 Mbit/s up). */
const LINKS = [
  ['LAN 100 Mbit/s', 100e6 / 8],
  ['4G 10 Mbit/s', 10e6 / 8],
] as const;

function plantBodies(count: number): Buffer[] {
  const devices = plant();
  const lines: string[] = [];
  const base = Date.now() - 3_600_000;
  for (let s = 0; lines.length < count * BATCH; s++)
    devices.forEach((device, d) => {
      lines.push(...lineProtocolLines(poll1(device, d, s, base), 'bench-gw'));
    });
  return bodies(lines, count);
}

function mqttBodies(count: number): Buffer[] {
  const lines = lineProtocolLines(
    burstSamples(Math.ceil((count * BATCH) / 1000), Date.now() - 3_600_000),
    'bench-gw',
  );
  return bodies(lines, count);
}

function bodies(lines: string[], count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(`${lines.slice(i * BATCH, (i + 1) * BATCH).join('\n')}\n`),
  );
}

function measure(name: string, batches: Buffer[]): boolean {
  const samples = batches.length * BATCH;
  const raw = batches.reduce((n, b) => n + b.length, 0);
  console.log(
    `\n${name}: ${batches.length} bodies of ${fmt(BATCH)} samples, ${fmt(raw / samples, 1)} bytes/sample as line protocol`,
  );
  console.log(
    `  ${'level'.padEnd(8)}${'µs CPU/sample'.padStart(15)}${'bytes/sample'.padStart(14)}${'ratio'.padStart(8)}` +
      LINKS.map(([link]) => `${`ms/batch ${link}`.padStart(26)}`).join(''),
  );
  let ok = true;
  for (const level of LEVELS) {
    const times: number[] = [];
    let bytes = 0;
    for (let run = 0; run < WARMUP + RUNS; run++) {
      const start = performance.now();
      bytes = 0;
      for (const body of batches) bytes += level === 0 ? body.length : gzipSync(body, { level }).length;
      if (run >= WARMUP) times.push(performance.now() - start);
    }
    if (level > 0) for (const body of batches) ok &&= gunzipSync(gzipSync(body, { level })).equals(body);
    const cpuMs = median(times);
    const perBatch = (link: number) => cpuMs / batches.length + (bytes / batches.length / link) * 1000;
    console.log(
      `  ${(level === 0 ? 'off' : `gzip ${level}`).padEnd(8)}${fmt((cpuMs * 1000) / samples, 3).padStart(15)}${fmt(bytes / samples, 1).padStart(14)}${fmt(raw / bytes, 1).padStart(8)}` +
        LINKS.map(([, link]) => fmt(perBatch(link), 2).padStart(26)).join(''),
    );
  }
  return ok;
}

const count = smoke ? 4 : 40;
const ok =
  measure('10,000-tag plant (buffer bench)', plantBodies(count)) &&
  measure('MQTT workload (ingest-compare)', mqttBodies(count));
if (!ok) {
  console.error('sink-gzip: a body did not come back from gzip as it went in');
  process.exitCode = 1;
}
