// Verification over hours of data in the embedded store: hour slices summed while attestations
// stream, refinement of the slices that do not match, and its limit; attestations from another
// source than the store (a central copy).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../sinks/embedded/store.ts';
import type { StoredSample } from '../sinks/sink.ts';
import type { DeviceShare } from './attestation.ts';
import { Attestor } from './attestor.ts';
import { CoarseClusters } from './coverage.ts';
import { initIdentity } from './identity.ts';
import { type StoredAttestation, verifyStore } from './verify.ts';

const T0 = Date.UTC(2026, 10, 2, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const share = (from: number, to: number, count = 1): DeviceShare => ({
  device: 'd',
  count,
  from,
  to,
  digest: '0'.repeat(63) + String(count),
});

describe('coarse clusters', () => {
  it('sums shares per hour slice, merges slices a share spans, in any arrival order', () => {
    const coarse = new CoarseClusters(HOUR);
    coarse.add(share(T0 + 2 * HOUR + 5, T0 + 2 * HOUR + 9));
    coarse.add(share(T0 + 10, T0 + 20, 2));
    coarse.add(share(T0 + 30 * MIN, T0 + 40 * MIN, 3));
    coarse.add(share(T0 + 5 * HOUR, T0 + 5 * HOUR, 4));
    expect(coarse.list.map((c) => [c.lo - T0, c.hi - T0, c.from - T0, c.to - T0, c.count, c.shares])).toEqual(
      [
        [0, HOUR - 1, 10, 40 * MIN, 5, 2],
        [2 * HOUR, 3 * HOUR - 1, 2 * HOUR + 5, 2 * HOUR + 9, 1, 1],
        [5 * HOUR, 6 * HOUR - 1, 5 * HOUR, 5 * HOUR, 4, 1],
      ],
    );
    // A late batch spanning hours 0–2 joins the first two slices into one.
    coarse.add(share(T0 + 59 * MIN, T0 + 2 * HOUR, 1));
    expect(
      coarse.list.map((c) => [c.lo - T0, c.hi - T0, c.count, c.shares, c.digest.hex().slice(-2)]),
    ).toEqual([
      [0, 3 * HOUR - 1, 7, 4, '07'],
      [5 * HOUR, 6 * HOUR - 1, 4, 1, '04'],
    ]);
  });
});

/** Six hours of two machines at 10 s, attested in 10 s batches, in a fresh embedded store. */
async function sixHours() {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-slices-'));
  const { identity } = initIdentity(dir);
  let clock = T0;
  const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => clock);
  const store = new EmbeddedStore('test', path.join(dir, 'samples.db'));
  const all: StoredSample[] = [];
  for (let t = T0; t < T0 + 6 * HOUR; t += 10_000) {
    clock = t + 50;
    const i = (t - T0) / 10_000;
    const batch: StoredSample[] = ['lathe-01', 'mill-02'].map((device, d) => ({
      device,
      tag: 'spindle_kw',
      type: 'number',
      value: Math.round((12 + Math.sin(i / 5 + d) * 3) * 100) / 100,
      quality: 'good',
      statusCode: 0,
      sourceTime: t,
      receivedAt: t + 20,
    }));
    all.push(...batch, attestor.attest(batch));
  }
  expect(await store.write(all)).toEqual({ kind: 'ok' });
  const run = (extra: Partial<Parameters<typeof verifyStore>[0]> = {}) =>
    verifyStore({
      reader: store,
      publicKey: identity.publicKey,
      gatewayId: 'gw-01',
      window: { from: T0, to: T0 + 6 * HOUR },
      now: () => T0 + 7 * HOUR,
      ...extra,
    });
  return { dir, store, run, attestations: all.filter((s) => s.device === '_gateway') };
}

/** A point written straight into the store, as someone typing in data would. */
const typedIn = (device: string, t: number): StoredSample => ({
  device,
  tag: 'spindle_kw',
  type: 'number',
  value: 14,
  quality: 'good',
  statusCode: 0,
  sourceTime: t,
  receivedAt: t,
});

describe('verification by hour slices', () => {
  it('finds six clean hours clean, with exact counts', async () => {
    const { run } = await sixHours();
    const report = await run();
    expect(report.findings).toEqual([]);
    expect(report.attestations).toEqual({ valid: 2160, firstSeq: 1, lastSeq: 2160, source: 'store' });
    expect(
      report.devices.map((d) => [d.device, d.attestedPoints, d.unattestedPoints, d.coveragePercent]),
    ).toEqual([
      ['lathe-01', 2160, 0, 100],
      ['mill-02', 2160, 0, 100],
    ]);
  });

  it('pins a deletion and an edit in hour 3 down to their batches, and counts evidence exactly', async () => {
    const { dir, run } = await sixHours();
    // Through SQLite itself, as someone with the file would.
    const raw = new Database(path.join(dir, 'samples.db'));
    raw.prepare('DELETE FROM samples WHERE device = ? AND ts = ?').run('mill-02', T0 + 3 * HOUR + 20_000);
    raw
      .prepare('UPDATE samples SET value = 99 WHERE device = ? AND ts = ?')
      .run('lathe-01', T0 + 3 * HOUR + 30 * MIN);
    raw.close();
    const report = await run();
    expect(report.findings.map((f) => [f.kind, f.device, (f.from ?? 0) - T0, (f.to ?? 0) - T0])).toEqual([
      ['altered', 'lathe-01', 3 * HOUR + 30 * MIN, 3 * HOUR + 30 * MIN],
      ['deleted', 'mill-02', 3 * HOUR + 20_000, 3 * HOUR + 20_000],
    ]);
    expect(report.devices.map((d) => [d.device, d.attestedPoints, d.unattestedPoints])).toEqual([
      ['lathe-01', 2160, 0],
      ['mill-02', 2159, 0],
    ]);
  });

  it('reports points typed into an attested hour exactly, as unattested, once refined', async () => {
    const { store, run } = await sixHours();
    expect(await store.write([typedIn('lathe-01', T0 + 4 * HOUR + 5_000)])).toEqual({ kind: 'ok' });
    const report = await run();
    expect(report.findings.map((f) => [f.kind, f.device, (f.from ?? 0) - T0])).toEqual([
      ['unattested', 'lathe-01', 4 * HOUR + 5_000],
    ]);
    expect(report.devices[0]).toMatchObject({ attestedPoints: 2160, unattestedPoints: 1 });
  });

  it('beyond the refinement limit, names the hour slice, the device and the kind', async () => {
    const { store, run } = await sixHours();
    expect(await store.write([typedIn('mill-02', T0 + HOUR + 5_000)])).toEqual({ kind: 'ok' });
    const report = await run({ refineShareLimit: 100 });
    expect(report.clean).toBe(false);
    expect(report.findings.map((f) => [f.kind, f.device, (f.from ?? 0) - T0, (f.to ?? 0) - T0])).toEqual([
      ['inserted', 'mill-02', HOUR, 2 * HOUR - 1],
    ]);
    expect(report.findings[0]?.message).toBe(
      'mill-02, 2026-11-02T01:00:00.000Z – 2026-11-02T01:59:59.999Z: the store holds 1 points more than the 360 attested (inserted)',
    );
  });

  it('reads attestations from another source: the tail removed from the store shows against a central copy', async () => {
    const { dir, run, attestations } = await sixHours();
    const copy: StoredAttestation[] = attestations.map((s) => ({
      text: String(s.value),
      stamp: s.sourceTime,
    }));
    // The last ten minutes removed from the store, points and attestations: the store's own chain ends early, cleanly.
    const raw = new Database(path.join(dir, 'samples.db'));
    raw.prepare('DELETE FROM samples WHERE ts >= ?').run(T0 + 5 * HOUR + 50 * MIN);
    raw.close();
    expect((await run()).findings).toEqual([]);
    const report = await run({
      attestations: async function* (range) {
        for (const a of copy) if (a.stamp >= range.from && a.stamp < range.to) yield a;
      },
    });
    expect(report.findings.map((f) => [f.kind, f.device, (f.from ?? 0) - T0])).toEqual([
      ...Array.from({ length: 60 }, (_, i) => ['deleted', 'lathe-01', 5 * HOUR + 50 * MIN + i * 10_000]),
      ...Array.from({ length: 60 }, (_, i) => ['deleted', 'mill-02', 5 * HOUR + 50 * MIN + i * 10_000]),
    ]);
  });

  it('reports text where attestations live that is not an attestation, and goes on', async () => {
    const { store, run } = await sixHours();
    const junk = (value: string, t: number): StoredSample => ({
      device: '_gateway',
      tag: 'attestation',
      type: 'string',
      value,
      quality: 'good',
      statusCode: 0,
      sourceTime: t,
      receivedAt: t,
    });
    // Unsigned junk is not checked for a signature first (lazy mode): its shape is.
    const junks = ['null', '{"seq":', '{"seq":5}', '{"v":1,"devices":7}'];
    expect(await store.write(junks.map((text, i) => junk(text, T0 + 7 + i)))).toEqual({ kind: 'ok' });
    const report = await run();
    expect(report.findings.map((f) => [f.kind, f.message])).toEqual(
      junks.map((_, i) => [
        'malformed_attestation',
        `attestation stored at ${new Date(T0 + 7 + i).toISOString()} is not an attestation (JSON of the v1 shape)`,
      ]),
    );
    expect(report.attestations.valid).toBe(2160);
  });

  it('checks a window that does not start on the hour without refining: slices start at the window', async () => {
    const { run } = await sixHours();
    // No refinement allowed: a slice across the window's start would hold unread attestations' points.
    const report = await run({
      window: { from: T0 + 90 * MIN + 5, to: T0 + 5 * HOUR + 7 },
      refineShareLimit: 0,
    });
    expect(report.findings).toEqual([]);
    expect(report.devices.map((d) => [d.device, d.attestedPoints])).toEqual([
      ['lathe-01', 1260],
      ['mill-02', 1260],
    ]);
  });

  it('finds the head of a window deleted with its attestations, in the embedded store', async () => {
    const { dir, run } = await sixHours();
    const window = { from: T0 + 2 * HOUR, to: T0 + 6 * HOUR };
    expect((await run({ window })).findings).toEqual([]);
    const raw = new Database(path.join(dir, 'samples.db'));
    raw
      .prepare('DELETE FROM samples WHERE ts >= ? AND ts < ?')
      .run(T0 + 2 * HOUR - 5 * MIN, T0 + 2 * HOUR + 10 * MIN);
    raw.close();
    const report = await run({ window });
    expect(report.findings.map((f) => [f.kind, f.message])).toEqual([
      [
        'missing_attestations',
        'attestations 691–780 (90) are missing between 2026-11-02T01:54:50.050Z and 2026-11-02T02:10:00.050Z: removed from the store',
      ],
    ]);
  });

  it('says when the chain before the window lies beyond the look-back', async () => {
    const { run } = await sixHours();
    const report = await run({ window: { from: T0 + 3 * HOUR, to: T0 + 6 * HOUR }, headLookbackMs: 0 });
    expect(report.findings.map((f) => f.kind)).toEqual(['missing_attestations']);
    expect(report.findings[0]?.message).toContain(
      'the chain begins at seq 1051 (2026-11-02T02:55:00.050Z) and no attestation is stored in the 0 days before the window',
    );
  });

  it("finds a chain whose start the gateway's own buffer dropped clean, drops-only attestation included", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-slices-'));
    const { identity } = initIdentity(dir);
    let clock = T0;
    const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => clock);
    const store = new EmbeddedStore('test', path.join(dir, 'samples.db'));
    const stored: StoredSample[] = [];
    for (let i = 0; i < 60; i++) {
      clock = T0 + i * 10_000 + 50;
      const batch = [typedIn('lathe-01', T0 + i * 10_000)];
      // The first 20 batches never reached the store: their buffer segment was dropped when full,
      // which the next attestation (one of drops only) declares.
      if (i === 20) {
        attestor.noteDropped('full', 20);
        stored.push(attestor.attest([]));
      }
      const attestation = attestor.attest(batch);
      if (i >= 20) stored.push(...batch, attestation);
    }
    expect(await store.write(stored)).toEqual({ kind: 'ok' });
    const report = await verifyStore({
      reader: store,
      publicKey: identity.publicKey,
      gatewayId: 'gw-01',
      window: { from: T0, to: T0 + HOUR },
      now: () => T0 + HOUR,
    });
    expect(report.clean).toBe(true);
    expect(report.findings.map((f) => [f.kind, f.message])).toEqual([
      [
        'dropped_by_policy',
        'attestations 1–20 are not in the store and none is stored in the 31 days before the window; by seq 21 (2026-11-02T00:03:20.050Z) the gateway reports 20 samples dropped by its buffer policy, which explains a chain whose start never reached the store',
      ],
    ]);
  });

  it("reports another gateway's attestations in the embedded store once, and its points as not this gateway's evidence", async () => {
    const { store, run } = await sixHours();
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-other-'));
    let clock = T0 + HOUR;
    const other = new Attestor(
      initIdentity(dir).identity,
      'gw-02',
      path.join(dir, 'chain.json'),
      () => clock,
    );
    const written: StoredSample[] = [];
    for (let i = 0; i < 30; i++) {
      clock = T0 + HOUR + i * 10_000 + 77;
      const batch = [typedIn('press-9', T0 + HOUR + i * 10_000)];
      written.push(...batch, other.attest(batch));
    }
    expect(await store.write(written)).toEqual({ kind: 'ok' });
    const report = await run();
    expect(report.findings.map((f) => [f.kind, f.device, f.message])).toEqual([
      [
        'other_gateway',
        undefined,
        "30 attestations stored between 2026-11-02T01:00:00.077Z and 2026-11-02T01:04:50.077Z name gateway gw-02, not gw-01: not checked here (another gateway's data, or placed in this one's store)",
      ],
      [
        'unattested',
        'press-9',
        'press-9, 2026-11-02T01:00:00.000Z – 2026-11-02T01:04:50.000Z: 30 points no attestation covers (typed in or written by something else)',
      ],
    ]);
  });

  it("finds points at the window's start clean when the device's clock runs a little ahead of the gateway's", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-slices-'));
    const { identity } = initIdentity(dir);
    let clock = T0;
    const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => clock);
    const store = new EmbeddedStore('test', path.join(dir, 'samples.db'));
    const stored: StoredSample[] = [];
    for (let t = T0; t < T0 + 2 * HOUR; t += 10_000) {
      // The PLC stamps its readings 2 s ahead of the gateway's clock.
      clock = t - 2000;
      const batch = [{ ...typedIn('lathe-01', t), value: (t / 10_000) % 17 }];
      stored.push(...batch, attestor.attest(batch));
    }
    expect(await store.write(stored)).toEqual({ kind: 'ok' });
    // The window starts between a point (T0 + 1 h) and its attestation, stamped 2 s before it.
    const report = await verifyStore({
      reader: store,
      publicKey: identity.publicKey,
      gatewayId: 'gw-01',
      window: { from: T0 + HOUR - 1000, to: T0 + 2 * HOUR },
      now: () => T0 + 3 * HOUR,
    });
    expect(report.findings).toEqual([]);
    expect(report.devices.map((d) => [d.device, d.attestedPoints, d.unattestedPoints])).toEqual([
      ['lathe-01', 360, 0],
    ]);
  });
});
