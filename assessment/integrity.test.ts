// The assessment with --pubkey: the store is verified against the gateway's signed attestations over
// the window, and the evidence and the report say what was found, per device.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { Attestor } from '../gateway/attest/attestor.ts';
import { identityFiles, initIdentity } from '../gateway/attest/identity.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { goodSample } from '../gateway/sinks/testing.ts';
import { fortyPoints, scratch, twoPresses } from './fixtures.ts';
import { shugaiAssess } from './test-cli.ts';

vi.setConfig({ testTimeout: 90_000 });
const { dir, file, evidenceArgs, remove } = scratch('shugai-assess-integrity-');
afterAll(remove);

const CONFIG = twoPresses('yk-gw-01');
const AT = Date.parse('2024-10-01T08:00:00+08:00');

beforeAll(async () => {
  const { identity } = initIdentity(path.join(dir, 'gw'));
  let clock = AT;
  const attestor = new Attestor(identity, 'yk-gw-01', path.join(dir, 'gw', 'chain.json'), () => clock);
  const store = new EmbeddedStore('s', path.join(dir, 'samples.db'));
  const all = [];
  // press-1 reports every minute for an hour, signed by the gateway.
  for (let i = 0; i < 60; i++) {
    clock = AT + i * 60_000 + 50;
    const batch = [goodSample('press-1', 'count', 'integer', i, AT + i * 60_000, 20)];
    all.push(...batch, attestor.attest(batch));
  }
  // press-2's "data" was typed into the store afterwards: no attestation covers it.
  all.push(goodSample('press-2', 'count', 'integer', 7, AT + 30 * 60_000));
  expect(await store.write(all)).toEqual({ kind: 'ok' });
  await store.close();
});

describe('shugai assess --pubkey', () => {
  const withKey = (pubkey: string, ...extra: string[]) =>
    shugaiAssess([
      '--answers',
      file('a.yaml', stringify(fortyPoints())),
      ...evidenceArgs('plant.yaml', CONFIG),
      '--pubkey',
      pubkey,
      ...extra,
    ]);
  const run = (...extra: string[]) => withKey(identityFiles(path.join(dir, 'gw')).publicKey, ...extra);

  it('attaches what the verification found: press-1 signed, press-2 typed in', async () => {
    const r = await run();
    expect([r.code, r.stderr]).toEqual([0, '']);
    const integrity = JSON.parse(r.stdout).evidence.integrity;
    expect(integrity).toMatchObject({
      gateway: 'yk-gw-01',
      clean: false,
      attestations: { valid: 60, firstSeq: 1, lastSeq: 60 },
      findingCounts: { unattested: 1 },
    });
    expect(integrity.findings).toEqual([
      {
        kind: 'unattested',
        device: 'press-2',
        message:
          'press-2, 2024-10-01T00:30:00.000Z – 2024-10-01T00:30:00.000Z: 1 points no attestation covers (typed in or written by something else)',
      },
    ]);
    expect(integrity.devices).toEqual([
      {
        device: 'press-1',
        coveragePercent: 4.17,
        firstAttested: '2024-10-01T00:00:00.000Z',
        lastAttested: '2024-10-01T00:59:00.000Z',
        gaps: 2, // the window is the China day: before 08:00 and after 09:00
        unattestedPoints: 0,
      },
      { device: 'press-2', coveragePercent: 0, gaps: 1, unattestedPoints: 1 },
    ]);
    // Against the store alone: its chain starts in the window (seq 1), its tail has no outside copy.
    expect(integrity.guarantees).toEqual([
      { id: 'points', held: true },
      { id: 'head', held: true },
      { id: 'tail', held: false },
    ]);
  });

  it('says so in the Chinese report', async () => {
    const r = await run('--format', 'html');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<h2 class="flag">数据可信性（网关签名核验）</h2>');
    expect(r.stdout).toContain('<p>发现与签名记录不符之处: 无签名的数据 1 处</p>');
    expect(r.stdout).toContain(
      '<li>可保证: 窗口开头的数据连同签名记录被删除，可发现：签名链从窗口前最后一条签名记录（或链的第一条）接续核验</li>',
    );
    expect(r.stdout).toContain(
      '<li>不能保证: 最新数据连同其签名记录一并删除，仅凭本地存储无法发现，须与主管部门保存的签名记录副本（--central）核对</li>',
    );
    expect(r.stdout).toContain(
      '<tr><td>press-1</td><td>4.17%</td><td>2024-10-01T00:00:00.000Z 至 2024-10-01T00:59:00.000Z</td><td>2</td><td>0</td></tr>',
    );
  });

  it('refuses a key that is not there, and --pubkey without evidence', async () => {
    const missing = await withKey(path.join(dir, 'nope.pub'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--pubkey ${path.join(dir, 'nope.pub')}: ENOENT`);
    const alone = await shugaiAssess([
      '--answers',
      file('c.yaml', stringify(fortyPoints())),
      '--pubkey',
      'x.pub',
    ]);
    expect([alone.code, alone.stderr.trim()]).toEqual([
      2,
      'shugai: --pubkey needs --config, --store and --window',
    ]);
  });
});
