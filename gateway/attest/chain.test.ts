// The chain checker's two modes give the same answer: lazy (a signature checked per linked run) and
// strict (every signature). Lazy mode must notice any signature that does not verify.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../sinks/sink.ts';
import { type Attestation, signAttestation } from './attestation.ts';
import { Attestor } from './attestor.ts';
import { ChainChecker } from './chain.ts';
import { initIdentity } from './identity.ts';

const T0 = Date.UTC(2026, 10, 2);

async function chainOf(n: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-chain-'));
  const { identity } = initIdentity(dir);
  let clock = T0;
  const attestor = new Attestor(identity, 'gw-01', path.join(dir, 'chain.json'), () => clock);
  const stored: { text: string; stamp: number }[] = [];
  for (let i = 0; i < n; i++) {
    clock = T0 + i * 1000;
    const point: StoredSample = {
      device: 'press-01',
      tag: 'strokes',
      type: 'integer',
      value: i,
      quality: 'good',
      statusCode: 0,
      sourceTime: clock,
      receivedAt: clock,
    };
    const s = attestor.attest([point]);
    stored.push({ text: String(s.value), stamp: s.sourceTime });
  }
  const other = initIdentity(await mkdtemp(path.join(tmpdir(), 'shugai-other-'))).identity;
  return { identity, other, stored };
}

function check(
  stored: { text: string; stamp: number }[],
  key: import('node:crypto').KeyObject,
  lazy: boolean,
) {
  const checker = new ChainChecker(key, 'gw-01', 300_000, lazy);
  const accepted = stored.filter(({ text, stamp }) => checker.add(text, stamp) !== undefined).length;
  const summary = checker.finish();
  return { accepted, lazyFailed: checker.lazyFailed, summary };
}

describe('chain checker', () => {
  it('accepts a clean chain in both modes with the same summary', async () => {
    const { identity, stored } = await chainOf(50);
    const strict = check(stored, identity.publicKey, false);
    const lazy = check(stored, identity.publicKey, true);
    expect(strict).toMatchObject({ accepted: 50, lazyFailed: false });
    expect(lazy).toEqual(strict);
    expect(strict.summary).toMatchObject({ valid: 50, firstSeq: 1, lastSeq: 50, findings: [] });
  });

  it('lazy mode fails on a re-signed attestation in the middle, at the end, and on a wrong key', async () => {
    const { identity, other, stored } = await chainOf(20);
    const resigned = (i: number) => {
      const copy = stored.map((s) => ({ ...s }));
      const { sig: _, ...unsigned } = JSON.parse(copy[i]?.text as string) as Attestation;
      unsigned.devices[0] = { ...(unsigned.devices[0] as Attestation['devices'][number]), count: 99 };
      (copy[i] as { text: string }).text = JSON.stringify(signAttestation(unsigned, other.privateKey));
      return copy;
    };
    for (const i of [7, 19]) {
      expect(check(resigned(i), identity.publicKey, true).lazyFailed).toBe(true);
      const strict = check(resigned(i), identity.publicKey, false);
      expect(strict.accepted).toBe(19);
      expect(strict.summary.findings.map((f) => f.kind)).toEqual(
        i === 19 ? ['bad_signature'] : ['bad_signature', 'missing_attestations'],
      );
    }
    expect(check(stored, other.publicKey, true).lazyFailed).toBe(true);
    expect(check(stored, other.publicKey, false).accepted).toBe(0);
  });

  it("checks the chain's head: seq 1 after the genesis hash, or a predecessor found before the window", async () => {
    const { identity, stored } = await chainOf(30);
    const from = (i: number, head: { found: boolean; lookbackMs: number }) => {
      const checker = new ChainChecker(identity.publicKey, 'gw-01', 300_000);
      for (const { text, stamp } of stored.slice(i)) checker.add(text, stamp);
      return checker.finish(head).findings.map((f) => [f.kind, f.message]);
    };
    const week = { found: false, lookbackMs: 7 * 86_400_000 };
    expect(from(0, week)).toEqual([]);
    // The chain before seq 11 was looked for and found (it was fed first): nothing to say here.
    expect(from(10, { ...week, found: true })).toEqual([]);
    expect(from(10, week)).toEqual([
      [
        'missing_attestations',
        'attestations 1–10 are missing: the chain begins at seq 11 (2026-11-02T00:00:10.000Z) and no attestation is stored in the 7 days before the window, so its start cannot be tied to earlier data (removed from the store, or the gateway was off for longer: verify from an earlier start)',
      ],
    ]);
    // A first attestation that claims seq 1 but follows something: not the start of a chain.
    const { sig: _, ...first } = JSON.parse(stored[0]?.text as string) as Attestation;
    const bogus = signAttestation({ ...first, prev: 'ab'.repeat(32) }, identity.privateKey);
    const checker = new ChainChecker(identity.publicKey, 'gw-01', 300_000);
    checker.add(JSON.stringify(bogus), T0);
    expect(checker.finish(week).findings.map((f) => f.kind)).toEqual(['broken_chain']);
  });
});
