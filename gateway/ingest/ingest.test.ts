import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { type Sample, STATUS_NO_COMMUNICATION } from '../../core/model.ts';
import {
  fillDisk,
  mountSmallDisk,
  type SmallDisk,
  smallDisksAvailable,
} from '../../test/services/small-disk.ts';
import { ATTESTATION_DEVICE, type Attestation, deviceShares } from '../attest/attestation.ts';
import { Attestor, SLICE_POINTS } from '../attest/attestor.ts';
import { MultisetHash } from '../attest/canonical.ts';
import { initIdentity } from '../attest/identity.ts';
import { DurableLog } from '../buffer/log.ts';
import { recordSamples } from '../buffer/payload.ts';
import { GatewayMetrics } from '../metrics.ts';
import { Ingest } from './ingest.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const reading = (i: number, over: Partial<Sample> = {}): Sample => ({
  device: `press-${i % 3}`,
  tag: 'count',
  value: i,
  quality: 'good',
  statusCode: 0,
  sourceTime: 1_700_000_000_000 + i,
  receivedAt: 1_700_000_000_000 + i,
  ...over,
});

async function setup(dir?: string) {
  const folder = dir ?? (await mkdtemp(path.join(tmpdir(), 'shugai-ingest-')));
  const log = await DurableLog.open({
    dir: path.join(folder, 'buffer'),
    maxBytes: 64 * 1024 ** 2,
    maxAgeMs: 0,
    segmentBytes: 1024 ** 2,
    minFree: { bytes: 0 },
    fsync: { mode: 'always' },
    whenFull: 'drop-oldest',
    log: silentLogger,
  });
  await log.addReader('s');
  const { identity } = initIdentity(folder);
  const attestor = new Attestor(identity, 'gw-test', path.join(folder, 'chain.json'), Date.now, 1000);
  log.sealer = attestor;
  const metrics = new GatewayMetrics(new Registry());
  const ingest = new Ingest(log, metrics, silentLogger, 'gw-test', attestor);
  ingest.setTypes([
    {
      id: 'press-0',
      protocol: 'mqtt',
      production: true,
      businessLinks: ['生产管控'],
      tags: [{ id: 'count', type: 'integer' }],
    },
  ]);
  cleanups.push(async () => {
    await log.close();
    if (!dir) await rm(folder, { recursive: true, force: true });
  });
  return { log, ingest, attestor, metrics };
}

/** Everything in the buffer: the data samples and the attestations, in order. */
async function contents(log: DurableLog) {
  const samples = (await log.read('s', 100_000)).flatMap(recordSamples);
  const attestations = samples
    .filter((s) => s.device === ATTESTATION_DEVICE)
    .map((s) => JSON.parse(String(s.value)) as Attestation);
  return { data: samples.filter((s) => s.device !== ATTESTATION_DEVICE), attestations };
}

/** The points a list of attestations covers, summed: what a verifier compares the store with. */
function covered(attestations: Attestation[]) {
  return attestations.reduce((n, a) => n + a.devices.reduce((m, d) => m + d.count, 0), 0);
}

describe('ingest', () => {
  it('writes each turn as one record of lines, typed as declared', async () => {
    const { log, ingest } = await setup();
    ingest.accept([reading(0), reading(1, { value: 1.5 })]);
    ingest.accept([reading(3)]);
    await ingest.settle();
    const { data } = await contents(log);
    expect(data.map((s) => [s.device, s.type, s.value])).toEqual([
      ['press-0', 'integer', 0],
      ['press-1', 'number', 1.5],
      ['press-0', 'integer', 3],
    ]);
  });

  it(`seals a slice at ${SLICE_POINTS} points, after the records it covers, and every point once`, async () => {
    const { log, ingest } = await setup();
    for (let turn = 0; turn < 12; turn++) {
      ingest.accept(Array.from({ length: 1000 }, (_, i) => reading(turn * 1000 + i)));
      await ingest.durable();
    }
    const before = await contents(log);
    // 12,000 points: two slices sealed on the way (at the first write reaching 5,000 points each).
    expect(before.attestations).toHaveLength(2);
    expect(before.attestations.map((a) => a.seq)).toEqual([1, 2]);
    expect(covered(before.attestations)).toBe(10_000);
    await ingest.settle();
    const after = await contents(log);
    expect(covered(after.attestations)).toBe(12_000);
    // The attestations cover exactly the points the buffer holds, device by device.
    const all = after.attestations.flatMap((a) => a.devices);
    expect(
      ['press-0', 'press-1', 'press-2'].map((d) =>
        all.filter((x) => x.device === d).reduce((n, x) => n + x.count, 0),
      ),
    ).toEqual(deviceShares(after.data).map((s) => s.count));
    // Their digests (hashed in JavaScript on ingest) sum to the verifier's (node:crypto) over the data.
    const sums = new Map<string, MultisetHash>();
    for (const share of all) {
      const sum = sums.get(share.device) ?? new MultisetHash();
      sums.set(share.device, sum.addHex(share.digest));
    }
    expect(deviceShares(after.data).map((s) => [s.device, s.digest])).toEqual(
      [...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([device, sum]) => [device, sum.hex()]),
    );
  });

  it('seals within a second when no more points come', async () => {
    const { log, ingest } = await setup();
    ingest.accept([reading(1), reading(2)]);
    await ingest.durable();
    const written = Date.now();
    expect((await contents(log)).attestations).toHaveLength(0);
    while ((await contents(log)).attestations.length === 0 && Date.now() - written < 5000)
      await new Promise((r) => setTimeout(r, 50));
    const { attestations } = await contents(log);
    expect(attestations).toHaveLength(1);
    expect(covered(attestations)).toBe(2);
    expect((attestations[0]?.time ?? 0) - written).toBeGreaterThanOrEqual(800); // waited for more points
  });

  it('marks the last good value of each tag of a lost link bad once, good again on fresh data', async () => {
    const { log, ingest } = await setup();
    ingest.accept([reading(0), reading(3, { tag: 'temp', value: 7 }), reading(1)]);
    await ingest.durable();
    ingest.linkLost(['press-0']);
    ingest.linkLost(['press-0']); // the reconnect fails again: nothing more
    await ingest.settle();
    const marks = (await contents(log)).data.filter((s) => s.statusCode === STATUS_NO_COMMUNICATION);
    expect(marks.map((s) => [s.device, s.tag, s.value, s.quality])).toEqual([
      ['press-0', 'count', 0, 'bad'],
      ['press-0', 'temp', 7, 'bad'],
    ]);
  });

  it('copies accepted samples for an observer only while it wants them', async () => {
    const { ingest } = await setup();
    let wanted = false;
    const seen: string[] = [];
    ingest.onAccepted(
      (samples) => seen.push(...samples.map((s) => `${s.device}/${s.tag}=${String(s.value)}`)),
      () => wanted,
    );
    ingest.accept([reading(0)]);
    wanted = true;
    ingest.accept([reading(1)]);
    await ingest.settle();
    expect(seen).toEqual(['press-1/count=1']);
  });

  it('attests drops when no data follows them', async () => {
    const { log, ingest, attestor } = await setup();
    ingest.accept([reading(1)]);
    await ingest.settle();
    attestor.noteDropped('full', 40);
    await ingest.settle();
    const { attestations } = await contents(log);
    expect(attestations.at(-1)).toMatchObject({ devices: [], dropped: { full: 40, age: 0, refused: 0 } });
  });
});

describe.skipIf(!smallDisksAvailable)('ingest on a disk that fills up', () => {
  let disk: SmallDisk;
  afterEach(async () => {
    await disk?.unmount();
  });

  it('takes a seal back with its write: the chain goes on from where it was, over what is on disk', async () => {
    disk = await mountSmallDisk(2 * 1024 ** 2);
    const { log, ingest, metrics } = await setup(disk.dir);
    ingest.accept(Array.from({ length: 100 }, (_, i) => reading(i)));
    await ingest.durable(); // on disk, not sealed
    // Another program fills the disk before the buffer reads its free space again.
    fillDisk(disk.dir);
    ingest.accept(Array.from({ length: SLICE_POINTS }, (_, i) => reading(1000 + i, { tag: `t${i % 50}` })));
    await ingest.durable();
    expect(
      (await metrics.bufferDropped.get()).values.find((v) => v.labels.reason === 'write_error')?.value,
    ).toBe(SLICE_POINTS);
    await rm(path.join(disk.dir, 'filler'));
    await ingest.settle();
    const { data, attestations } = await contents(log);
    expect(data).toHaveLength(100);
    // One attestation, seq 1, over the 100 points on disk; the failed write declared as refused.
    expect(attestations.map((a) => [a.seq, covered([a]), a.dropped.refused])).toEqual([
      [1, 100, SLICE_POINTS],
    ]);
  });
});

describe('backpressure', () => {
  it('asks push sources to wait while more than UNWRITTEN_HIGH waits for the disk, and lets them go under UNWRITTEN_LOW', {
    timeout: 120_000,
  }, async () => {
    const { log, ingest } = await setup();
    // A disk that does not take writes until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const append = log.append.bind(log);
    log.append = (...args: Parameters<typeof append>) => gate.then(() => append(...args));
    expect(ingest.relieved()).toBeUndefined();
    const N = 400_000;
    for (let i = 0; i < N; i += 10_000)
      ingest.accept(Array.from({ length: 10_000 }, (_, k) => reading(i + k, { device: 'press-0' })));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = ingest.relieved();
    expect(waiting).toBeInstanceOf(Promise);
    expect(ingest.relieved()).toBe(waiting);
    let released = false;
    void waiting?.then(() => {
      released = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(false);
    open();
    await waiting;
    await ingest.durable();
    expect(ingest.relieved()).toBeUndefined();
    expect((await contents(log)).data).toHaveLength(N);
  });
});
