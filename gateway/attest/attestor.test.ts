import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../sinks/sink.ts';
import {
  type Attestation,
  attestationHash,
  GENESIS,
  ShareSums,
  signatureValid,
  signedAttestation,
} from './attestation.ts';
import { Attestor } from './attestor.ts';
import { canonicalHead, canonicalJson, MultisetHash, pointDigest, pointWords } from './canonical.ts';
import { initIdentity } from './identity.ts';

/** The multiset digest by big-integer arithmetic, as a reference for the word-wise sum. */
const sumHex = (...points: StoredSample[]) =>
  (points.reduce((sum, p) => sum + BigInt(`0x${pointDigest(p).toString('hex')}`), 0n) % (1n << 256n))
    .toString(16)
    .padStart(64, '0');

const s = (device: string, tag: string, t: number, value: number): StoredSample => ({
  device,
  tag,
  type: 'number',
  value,
  quality: 'good',
  statusCode: 0,
  sourceTime: t,
  receivedAt: t + 1,
});

describe('attestor', () => {
  it('canonicalises JSON with sorted keys, undefined fields left out, arrays in order', () => {
    expect(canonicalJson({ seq: 2, a: [{ z: 'x', d: undefined, b: null }, 1.5], é: true, Z: 'ü' })).toBe(
      '{"Z":"ü","a":[{"b":null,"z":"x"},1.5],"seq":2,"é":true}',
    );
  });

  it('signs the canonical JSON of an attestation, and hashes it, as canonicalJson writes them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const names = ['lathe-01', 'é"\\\u0000\u2028', '压力机 1', '', '𝄞', 'a,"time":1'];
    for (let n = 0; n < 40; n++) {
      const unsigned: Omit<Attestation, 'sig'> = {
        v: 1,
        gateway: names[n % names.length] as string,
        seq: n * 7919,
        prev: n === 0 ? GENESIS : 'ab'.repeat(32),
        time: n % 3 === 0 ? 1_796_361_864_261 + n : -n * 0.5,
        devices: Array.from({ length: n % 5 }, (_, i) => ({
          device: `${names[(n + i) % names.length]}${i}`,
          count: i * 1000 + n,
          from: -1e15 + i,
          to: 1.5e12 + n * 0.25,
          digest: (n * 31 + i).toString(16).padStart(64, '0'),
        })),
        dropped: { full: n, age: 2 ** 53 - 1 - n, refused: 0 },
      };
      const { attestation, hash } = signedAttestation(unsigned, privateKey);
      expect(signatureValid(attestation, publicKey)).toBe(true);
      expect(hash).toBe(attestationHash(attestation));
      expect(Object.keys(attestation).sort()).toEqual([...Object.keys(unsigned), 'sig'].sort());
    }
  });

  it('sums device shares record by record as all at once: counts, spans and digests exact', () => {
    // 40 devices (past the arrays' first growth), points in a scrambled order over 7 records.
    const points = Array.from({ length: 700 }, (_, i) =>
      s(`dev-${(i * 17) % 40}`, `t${i % 3}`, 1_700_000_000_000 + ((i * 7919) % 1000) - 500, i / 8),
    );
    const records = Array.from({ length: 7 }, () => new ShareSums());
    points.forEach((p, i) => {
      const head = Buffer.from(canonicalHead(p.device, p.tag, p.type));
      const words = pointWords(head, p.type, p.value, p.sourceTime, p.quality, p.statusCode);
      (records[i % 7] as ShareSums).addWords(p.device, p.sourceTime, words);
    });
    const merged = new ShareSums();
    for (const record of records) merged.merge(record);
    const expected = [...new Set(points.map((p) => p.device))].sort().map((device) => {
      const mine = points.filter((p) => p.device === device);
      const times = mine.map((p) => p.sourceTime);
      return {
        device,
        count: mine.length,
        from: Math.min(...times),
        to: Math.max(...times),
        digest: sumHex(...mine),
      };
    });
    expect(merged.points).toBe(700);
    expect(merged.devices).toBe(40);
    expect(merged.shares()).toEqual(expected);
    const once = new ShareSums();
    for (const p of points) once.add(p.device, p.sourceTime, pointDigest(p));
    expect(once.shares()).toEqual(expected);
    expect(records[0]?.points).toBe(100); // merging leaves the records as they were
  });

  it('sums device shares the same in sums emptied and used again, for other devices and times', () => {
    const points = Array.from({ length: 700 }, (_, i) =>
      s(`dev-${(i * 17) % 40}`, `t${i % 3}`, 1_700_000_000_000 + ((i * 7919) % 1000) - 500, i / 8),
    );
    // Two sums used in turn for 7 records: each is reset before its next record, which has points
    // of the same devices at other times, and lacks some of the devices it had.
    const reused = [new ShareSums(), new ShareSums()];
    const merged = new ShareSums();
    const fresh = new ShareSums();
    let kept = 0;
    for (let r = 0; r < 7; r++) {
      const sums = (reused[r % 2] as ShareSums).reset();
      const fresher = new ShareSums();
      const record = points.filter((p, i) => i % 7 === r && Number(p.device.slice(4)) % 5 !== r % 5);
      kept += record.length;
      for (const p of record) {
        sums.add(p.device, p.sourceTime, pointDigest(p));
        fresher.add(p.device, p.sourceTime, pointDigest(p));
      }
      expect(sums.shares()).toEqual(fresher.shares());
      expect([sums.points, sums.devices]).toEqual([fresher.points, fresher.devices]);
      merged.merge(sums);
      fresh.merge(fresher);
    }
    expect(merged.shares()).toEqual(fresh.shares());
    expect([merged.points, merged.devices]).toEqual([kept, 40]);
    // Emptied, a sums has no shares; merged into another, it adds nothing.
    const emptied = (reused[0] as ShareSums).reset();
    expect([emptied.shares(), emptied.points, emptied.devices]).toEqual([[], 0, 0]);
    expect(new ShareSums().merge(merged).merge(emptied).shares()).toEqual(fresh.shares());
  });

  it('sums digests modulo 2^256 exactly, carries included', () => {
    const top = new Uint8Array(32).fill(0xff);
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(new MultisetHash().add(top).add(one).hex()).toBe('0'.repeat(64));
    expect(new MultisetHash().add(top).add(top).hex()).toBe(`${'f'.repeat(63)}e`);
    const points = Array.from({ length: 50 }, (_, i) => s('d', `t${i}`, i, i * 1.5));
    const sum = new MultisetHash();
    for (const p of points) sum.add(pointDigest(p));
    expect(sum.hex()).toBe(sumHex(...points));
  });

  it('signs a hash chain of batches with per-device counts, spans and multiset digests', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-attest-'));
    const { identity, created } = initIdentity(dir);
    expect(created).toBe(true);
    expect(initIdentity(dir).created).toBe(false); // never overwritten
    expect(identity.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    let now = 1_000;
    const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => now);
    const batch = [
      s('lathe-01', 'speed', 100, 1.5),
      s('lathe-01', 'temp', 300, 40),
      s('meter', 'kwh', 200, 7),
    ];
    const first = JSON.parse(String(attestor.attest(batch).value)) as Attestation;
    expect(first).toMatchObject({
      v: 1,
      gateway: 'gw-01',
      seq: 1,
      prev: GENESIS,
      time: 1_000,
      dropped: { full: 0, age: 0, refused: 0 },
    });
    expect(first.devices).toEqual([
      {
        device: 'lathe-01',
        count: 2,
        from: 100,
        to: 300,
        digest: sumHex(batch[0]!, batch[1]!),
      },
      { device: 'meter', count: 1, from: 200, to: 200, digest: sumHex(batch[2]!) },
    ]);
    expect(signatureValid(first, identity.publicKey)).toBe(true);
    expect(signatureValid({ ...first, time: 1_001 }, identity.publicKey)).toBe(false);
    expect(signatureValid(first, generateKeyPairSync('ed25519').publicKey)).toBe(false);

    // Same clock reading: the attestation keeps the raw time, its store timestamp moves on.
    const secondSample = attestor.attest([s('meter', 'kwh', 900, 8)]);
    const second = JSON.parse(String(secondSample.value)) as Attestation;
    expect([second.seq, second.prev, second.time, secondSample.sourceTime]).toEqual([
      2,
      attestationHash(first),
      1_000,
      1_001,
    ]);

    // A restart continues the chain from the saved head.
    attestor.noteDropped('full', 12);
    await attestor.save();
    now = 5_000;
    const resumed = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => now);
    const third = JSON.parse(String(resumed.attest([s('meter', 'kwh', 4_000, 9)]).value)) as Attestation;
    expect([third.seq, third.prev, third.dropped.full]).toEqual([3, attestationHash(second), 12]);
  });

  it('survives saving the chain head from several places at once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-attest-'));
    const { identity } = initIdentity(dir);
    const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'));
    attestor.attest([s('d', 't', 1, 1)]);
    await Promise.all(Array.from({ length: 20 }, () => attestor.save()));
    const resumed = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'));
    expect((JSON.parse(String(resumed.attest([s('d', 't', 2, 2)]).value)) as Attestation).seq).toBe(2);
  });
});
