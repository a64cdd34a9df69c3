/**
 * Verifying a store: a week of 1 s data from 20 devices (about 12 million points) in the embedded
 * store, checked by `verifyStore`, next to the store's own time to read the same windows (the
 * floor: a verifier has to read every point once). `--smoke`: 20 devices × 30 minutes.
 *
 *   node --import tsx bench/verify-store.ts [--smoke] [--devices N] [--hours H]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Attestor } from '../gateway/attest/attestor.ts';
import { initIdentity } from '../gateway/attest/identity.ts';
import { verifyStore } from '../gateway/attest/verify.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';

const { values } = parseArgs({
  options: { smoke: { type: 'boolean' }, devices: { type: 'string' }, hours: { type: 'string' } },
});
const devices = Number(values.devices ?? 20);
const hours = Number(values.hours ?? (values.smoke ? 0.5 : 24 * 7));
const seconds = Math.round(hours * 3600);
const T0 = Date.UTC(2026, 10, 2, 0, 0);

const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-verify-'));
const { identity } = initIdentity(dir);
let clock = T0;
const attestor = new Attestor(identity, 'gw-bench', path.join(dir, 'chain.json'), () => clock);
const store = new EmbeddedStore('bench', path.join(dir, 'samples.db'));

const loadStart = performance.now();
let chunk: StoredSample[] = [];
for (let s = 0; s < seconds; s++) {
  const t = T0 + s * 1000;
  clock = t + 50;
  const batch: StoredSample[] = [];
  for (let d = 0; d < devices; d++) {
    batch.push({
      device: `dev-${String(d).padStart(2, '0')}`,
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
await store.write(chunk);
const points = seconds * devices;
console.log(
  `verify bench: ${devices} devices × ${hours} h at 1 s = ${points.toLocaleString('en')} points + ${seconds.toLocaleString('en')} attestations (loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s)`,
);

const window = { from: T0, to: T0 + seconds * 1000 };
const runs = values.smoke ? 1 : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const readTimes: number[] = [];
const verifyTimes: number[] = [];

let clean = true;
for (let r = 0; r < runs; r++) {
  let start = performance.now();
  let read = 0;
  for (let d = 0; d < devices; d++) {
    for await (const _ of store.samples({ ...window, device: `dev-${String(d).padStart(2, '0')}` })) read++;
  }
  for await (const _ of store.samples({ ...window, device: '_gateway', tag: 'attestation' })) read++;
  readTimes.push((performance.now() - start) / 1000);
  if (read !== points + seconds) throw new Error(`read ${read} rows, expected ${points + seconds}`);
  start = performance.now();
  const report = await verifyStore({
    reader: store,
    publicKey: identity.publicKey,
    gatewayId: 'gw-bench',
    window,
    now: () => window.to,
  });
  verifyTimes.push((performance.now() - start) / 1000);
  clean &&= report.clean;
}
const read = median(readTimes);
const verify = median(verifyTimes);
console.log(
  `store's own read of the same windows (baseline)  ${read.toFixed(2)} s   ${Math.round(points / read).toLocaleString('en')} points/s`,
);
console.log(
  `shugai verify                                    ${verify.toFixed(2)} s   ${Math.round(points / verify).toLocaleString('en')} points/s   ratio ${(verify / read).toFixed(2)} × the read`,
);
// The verify loop reads SQLite synchronously, so a timer would never sample it: take the peak.
console.log(
  `peak RSS of the process (load, read, verify)     ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB   (medians of ${runs} run${runs > 1 ? 's' : ''})`,
);
await store.close();
await rm(dir, { recursive: true, force: true });
if (!clean) {
  console.error('verify bench: the untouched store did not verify clean');
  process.exit(1);
}
