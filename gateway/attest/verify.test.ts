// One test per tamper case, against a real InfluxDB 1.x: each is found and named (device, window, kind).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../test/services/influxdb.ts';
import { InfluxReader } from '../sinks/influxdb/reader.ts';
import { influxSinkSchema } from '../sinks/influxdb/schema.ts';
import { InfluxSink } from '../sinks/influxdb/sink.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { goodSample } from '../sinks/testing.ts';
import { Attestor } from './attestor.ts';
import { type Identity, initIdentity } from './identity.ts';
import { verifyStore } from './verify.ts';

const T0 = Date.UTC(2026, 10, 2, 0, 0);
const MIN = 60_000;
const WINDOW = { from: T0, to: T0 + 20 * MIN };

/** 20 minutes of a plant: every 10 s a batch from a lathe and a meter, values varying as machines do. */
function plant(
  minutes = 20,
  speed = (i: number) => 1200 + Math.round(Math.sin(i * 1.3) * 500) / 10,
  kw = (i: number) => 30 + Math.round(Math.cos(i * 0.7) * 40) / 10,
): StoredSample[][] {
  const batches: StoredSample[][] = [];
  for (let t = T0; t < T0 + minutes * MIN; t += 10_000) {
    const i = (t - T0) / 10_000;
    batches.push([
      goodSample('lathe-01', 'speed', 'number', speed(i), t, 20),
      goodSample('lathe-01', 'parts', 'integer', i, t, 20),
      goodSample('meter-01', 'kw', 'number', kw(i), t, 20),
    ]);
  }
  return batches;
}

async function record(
  influx: InfluxDB,
  db: string,
  identity: Identity,
  batches: StoredSample[][],
  clock: (i: number) => number,
  gateway = 'gw-01',
) {
  const sink = new InfluxSink(
    influxSinkSchema.parse({ name: 'influx', type: 'influxdb', version: 1, url: influx.url, database: db }),
    gateway,
  );
  await sink.prepare();
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-chain-'));
  let i = 0;
  const attestor = new Attestor(identity, gateway, path.join(dir, 'chain.json'), () => clock(i));
  const all: StoredSample[] = [];
  for (; i < batches.length; i++) {
    const batch = batches[i] as StoredSample[];
    all.push(...batch, attestor.attest(batch));
  }
  expect(await sink.write(all)).toEqual({ kind: 'ok' });
  return {
    reader: new InfluxReader({ url: influx.url, database: db }),
    attestations: all.filter((s) => s.device === '_gateway'),
  };
}

describe.skipIf(!influxdBinary.available)('verify against InfluxDB', () => {
  let influx: InfluxDB;
  let identity: Identity;
  let other: Identity;
  const write = (db: string, lines: string) =>
    fetch(`${influx.url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines });
  const query = (db: string, q: string) => influx.query(q, db);
  const run = (reader: InfluxReader, window = WINDOW) =>
    verifyStore({
      reader,
      publicKey: identity.publicKey,
      gatewayId: 'gw-01',
      window,
      now: () => Math.max(T0 + 30 * MIN, window.to),
    });
  const normalClock = (i: number) => T0 + i * 10_000 + 50;

  beforeAll(async () => {
    influx = await startInfluxDB();
    identity = initIdentity(await mkdtemp(path.join(tmpdir(), 'shugai-id-'))).identity;
    other = initIdentity(await mkdtemp(path.join(tmpdir(), 'shugai-id-'))).identity;
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('finds clean data clean, with full coverage per device', async () => {
    const { reader } = await record(influx, 'clean', identity, plant(), normalClock);
    const report = await run(reader);
    expect(report.findings).toEqual([]);
    expect(report.clean).toBe(true);
    expect(report.attestations).toEqual({ valid: 120, firstSeq: 1, lastSeq: 120, source: 'store' });
    expect(report.devices.map((d) => [d.device, d.attestedPoints, d.coveragePercent, d.gaps])).toEqual([
      ['lathe-01', 240, 100, []],
      ['meter-01', 120, 100, []],
    ]);
    expect(report.flags).toEqual([]);
  });

  it('flags signals that look made up: constant while the lathe makes parts, or repeating an exact pattern', async () => {
    const { reader } = await record(
      influx,
      'flags',
      identity,
      plant(
        180,
        () => 1200,
        (i) => 30 + (i % 7),
      ),
      normalClock,
    );
    const report = await run(reader, { from: T0, to: T0 + 180 * MIN });
    expect(report.clean).toBe(true); // flags are not verdicts
    expect(report.flags.map((f) => f.message)).toEqual([
      'lathe-01/speed: exactly 1200 from its first sample on, for 3 h (2026-11-02T00:00:00.000Z – 2026-11-02T02:59:50.000Z), while the machine produced',
      'meter-01/kw: from 2026-11-02T00:01:20.000Z – 2026-11-02T02:59:20.000Z (178 min) every value repeats, in order, a sequence it had sent before: a recording played again?',
    ]);
  });

  it('finds points inserted directly into InfluxDB: inside an attested span, and outside every span', async () => {
    const { reader } = await record(influx, 'inserted', identity, plant(), normalClock);
    await write(
      'inserted',
      `samples,device=lathe-01,gateway=gw-01,quality=good,tag_id=extra value=1,received=${T0 + 30_020}i ${T0 + 30_000}`,
    );
    await write(
      'inserted',
      `samples,device=press-9,gateway=gw-01,quality=good,tag_id=strokes value_int=500i,received=${T0 + 95_000}i ${T0 + 95_000}`,
    );
    const report = await run(reader);
    expect(report.clean).toBe(false);
    expect(report.findings.map((f) => [f.kind, f.device, f.from, f.to])).toEqual([
      ['inserted', 'lathe-01', T0 + 30_000, T0 + 30_000],
      ['unattested', 'press-9', T0 + 95_000, T0 + 95_000],
    ]);
    expect(report.findings[0]?.message).toContain('lathe-01, 2026-11-02T00:00:30.000Z');
  });

  it('finds points deleted from the store', async () => {
    const { reader } = await record(influx, 'deleted', identity, plant(), normalClock);
    await query(
      'deleted',
      `DELETE FROM samples WHERE "device" = 'meter-01' AND time >= ${T0 + 5 * MIN}ms AND time <= ${T0 + 6 * MIN}ms`,
    );
    const report = await run(reader);
    expect(report.findings.map((f) => [f.kind, f.device])).toEqual(Array(7).fill(['deleted', 'meter-01']));
    expect(report.findings[0]).toMatchObject({ from: T0 + 5 * MIN, to: T0 + 5 * MIN });
    expect(report.devices.find((d) => d.device === 'meter-01')?.attestedPoints).toBe(113);
  });

  it('finds a value altered in place', async () => {
    const { reader } = await record(influx, 'altered', identity, plant(), normalClock);
    await write(
      'altered',
      `samples,device=lathe-01,gateway=gw-01,quality=good,tag_id=speed value=9999,received=${T0 + 120_020}i ${T0 + 120_000}`,
    );
    const report = await run(reader);
    expect(report.findings.map((f) => [f.kind, f.device, f.from, f.to])).toEqual([
      ['altered', 'lathe-01', T0 + 120_000, T0 + 120_000],
    ]);
  });

  it('finds an attestation removed: a hole in the chain, and the points it covered unattested', async () => {
    const { reader, attestations } = await record(influx, 'removed', identity, plant(), normalClock);
    const victim = attestations[30] as StoredSample;
    await query(
      'removed',
      `DELETE FROM samples WHERE "device" = '_gateway' AND time = ${victim.sourceTime}ms`,
    );
    const report = await run(reader);
    expect(report.findings.map((f) => f.kind).sort()).toEqual([
      'missing_attestations',
      'unattested',
      'unattested',
    ]);
    expect(report.findings.find((f) => f.kind === 'missing_attestations')?.message).toContain(
      'attestations 31–31 (1) are missing',
    );
    expect(report.findings.filter((f) => f.kind === 'unattested').map((f) => [f.device, f.from])).toEqual([
      ['lathe-01', T0 + 300_000],
      ['meter-01', T0 + 300_000],
    ]);
  });

  it('finds attestations reordered in the store', async () => {
    const { reader, attestations } = await record(influx, 'reordered', identity, plant(), normalClock);
    const [a, b] = [attestations[10] as StoredSample, attestations[11] as StoredSample];
    await query(
      'reordered',
      `DELETE FROM samples WHERE "device" = '_gateway' AND (time = ${a.sourceTime}ms OR time = ${b.sourceTime}ms)`,
    );
    const line = (s: StoredSample, at: number) =>
      `samples,device=_gateway,gateway=gw-01,quality=good,tag_id=attestation value_str=${JSON.stringify(String(s.value))},received=${s.receivedAt}i ${at}`;
    await write('reordered', `${line(a, b.sourceTime)}\n${line(b, a.sourceTime)}`);
    const report = await run(reader);
    expect(report.findings.map((f) => [f.kind, f.from, f.to])).toEqual([
      ['reordered', T0 + 100_000, T0 + 100_000],
    ]);
    expect(report.findings[0]?.message).toContain(
      'attestation seq 11 (lathe-01, meter-01, 2026-11-02T00:01:40.000Z – 2026-11-02T00:01:40.000Z) is stored at',
    );
  });

  it("finds an attestation signed with another gateway's key", async () => {
    const { reader } = await record(influx, 'forged', identity, plant(), normalClock);
    // Someone types in a day's extra output and signs it with a key of their own.
    const fake = goodSample('lathe-01', 'parts', 'integer', 5000, T0 + 15 * MIN + 5000);
    const forger = new Attestor(
      other,
      'gw-01',
      path.join(await mkdtemp(path.join(tmpdir(), 'forger-')), 'chain.json'),
      () => T0 + 15 * MIN + 6000,
    );
    const sink = new InfluxSink(
      influxSinkSchema.parse({
        name: 'x',
        type: 'influxdb',
        version: 1,
        url: influx.url,
        database: 'forged',
      }),
      'gw-01',
    );
    expect(await sink.write([fake, forger.attest([fake])])).toEqual({ kind: 'ok' });
    const report = await run(reader);
    // Both name the device and the time the forged attestation claimed.
    expect(report.findings.map((f) => [f.kind, f.device, f.from])).toEqual([
      ['bad_signature', 'lathe-01', T0 + 15 * MIN + 5000],
      ['unattested', 'lathe-01', T0 + 15 * MIN + 5000],
    ]);
    expect(report.findings[0]?.message).toMatch(
      /^attestation seq 1 \(lathe-01, 2026-11-02T00:15:05.000Z – 2026-11-02T00:15:05.000Z\) stored at .* is not signed by the registered key/,
    );
  });

  it('finds a gateway clock that jumped back an hour', async () => {
    const jumped = (i: number) => normalClock(i) - (i >= 60 ? 60 * MIN : 0);
    const { reader } = await record(influx, 'clock', identity, plant(), jumped);
    const report = await run(reader);
    expect(report.findings.map((f) => f.kind)).toEqual(['clock_jump']);
    expect(report.findings[0]?.message).toMatch(
      /clock ran backwards by 3590 s between attestations 60 .* and 61/,
    );
  });

  it("verifies each of two gateways writing into one database clean, and finds an edit only in the edited gateway's data", async () => {
    // A site with two boxes: both name their press lathe-01, both write into the same database.
    await record(influx, 'shared', identity, plant(), normalClock);
    await record(
      influx,
      'shared',
      other,
      plant(20, (i) => 900 + (i % 13) * 3.5),
      normalClock,
      'gw-02',
    );
    const reader = new InfluxReader({ url: influx.url, database: 'shared' });
    const verifyAs = (key: Identity, gatewayId: string) =>
      verifyStore({ reader, publicKey: key.publicKey, gatewayId, window: WINDOW, now: () => T0 + 30 * MIN });
    for (const [key, gatewayId] of [
      [identity, 'gw-01'],
      [other, 'gw-02'],
    ] as const) {
      const report = await verifyAs(key, gatewayId);
      expect(report.findings, gatewayId).toEqual([]);
      expect(report.attestations, gatewayId).toEqual({
        valid: 120,
        firstSeq: 1,
        lastSeq: 120,
        source: 'store',
      });
      expect(report.devices.map((d) => [d.device, d.attestedPoints])).toEqual([
        ['lathe-01', 240],
        ['meter-01', 120],
      ]);
    }
    // gw-02's reading is raised in the store: only gw-02's verification finds it.
    await write(
      'shared',
      `samples,device=lathe-01,gateway=gw-02,quality=good,tag_id=speed value=1,received=${T0 + 60_020}i ${T0 + 60_000}`,
    );
    expect((await verifyAs(identity, 'gw-01')).findings).toEqual([]);
    expect((await verifyAs(other, 'gw-02')).findings.map((f) => [f.kind, f.device, f.from])).toEqual([
      ['altered', 'lathe-01', T0 + 60_000],
    ]);
    // An attestation in gw-01's series that gw-02's key signed is forged, not foreign.
    const forger = new Attestor(
      other,
      'gw-01',
      path.join(await mkdtemp(path.join(tmpdir(), 'forger-')), 'chain.json'),
      () => T0 + 15 * MIN + 6000,
    );
    const fake = goodSample('lathe-01', 'parts', 'integer', 5000, T0 + 15 * MIN + 5000);
    const gw01 = new InfluxSink(
      influxSinkSchema.parse({
        name: 'x',
        type: 'influxdb',
        version: 1,
        url: influx.url,
        database: 'shared',
      }),
      'gw-01',
    );
    expect(await gw01.write([fake, forger.attest([fake])])).toEqual({ kind: 'ok' });
    expect((await verifyAs(identity, 'gw-01')).findings.map((f) => [f.kind, f.device])).toEqual([
      ['bad_signature', 'lathe-01'],
      ['unattested', 'lathe-01'],
    ]);
  });

  it('follows the chain from the last attestation before the window: a clean window inside the data is clean', async () => {
    const { reader } = await record(influx, 'inside', identity, plant(), normalClock);
    const report = await run(reader, { from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    expect(report.findings).toEqual([]);
    // The window's own attestations, those of the 5 min before it (a device clock may run ahead), and the one before.
    expect(report.attestations).toEqual({ valid: 91, firstSeq: 30, lastSeq: 120, source: 'store' });
    expect(report.guarantees.map((g) => [g.id, g.held])).toEqual([
      ['points', true],
      ['head', true],
      ['tail', false],
    ]);
    expect(report.guarantees[1]?.text).toBe(
      'A deletion at the start of the window, attestations included, is found: the chain is followed from seq 30, the last attestation before the window (2026-11-02T00:04:50.050Z).',
    );
    expect(report.guarantees[2]?.text).toBe(
      "A deletion of the newest data together with its attestations cannot be seen without the bureau's copy (--central).",
    );
  });

  it('finds the head of the window deleted together with its attestations', async () => {
    const { reader } = await record(influx, 'head', identity, plant(), normalClock);
    // Everything from 5 minutes before the window to 2 minutes into it: points and attestations.
    await query('head', `DELETE FROM samples WHERE time >= ${T0 + 5 * MIN}ms AND time < ${T0 + 12 * MIN}ms`);
    const report = await run(reader, { from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    expect(report.clean).toBe(false);
    expect(report.findings.map((f) => [f.kind, f.message])).toEqual([
      [
        'missing_attestations',
        'attestations 31–72 (42) are missing between 2026-11-02T00:04:50.050Z and 2026-11-02T00:12:00.050Z: removed from the store',
      ],
    ]);
  });

  it('finds the first attestations of a chain deleted, when nothing precedes the window', async () => {
    const { reader } = await record(influx, 'start', identity, plant(), normalClock);
    await query('start', `DELETE FROM samples WHERE time < ${T0 + 2 * MIN}ms`);
    const report = await run(reader);
    expect(report.findings.map((f) => [f.kind, f.message])).toEqual([
      [
        'missing_attestations',
        'attestations 1–12 are missing: the chain begins at seq 13 (2026-11-02T00:02:00.050Z) and no attestation is stored in the 31 days before the window, so its start cannot be tied to earlier data (removed from the store, or the gateway was off for longer: verify from an earlier start)',
      ],
    ]);
    expect(report.guarantees.find((g) => g.id === 'head')).toMatchObject({ held: false });
  });
});
