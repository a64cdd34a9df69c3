// The assessment with --pubkey: the store is verified against the gateway's signed attestations over
// the window, and the evidence and the report say what was found, per device.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { beijingDate } from '../core/time.ts';
import { Attestor } from '../gateway/attest/attestor.ts';
import { identityFiles, initIdentity } from '../gateway/attest/identity.ts';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { goodSample } from '../gateway/sinks/testing.ts';
import { fortyPoints, scratch, twoPresses } from './fixtures.ts';
import { pdfInfo, pdfPage, pdfText, shugaiAssess } from './test-cli.ts';

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
        from: '2024-10-01T00:30:00.000Z',
        to: '2024-10-01T00:30:00.000Z',
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
      '<tr><td>press-1</td><td>4.17%</td><td>2024-10-01 08:00 至 2024-10-01 08:59 北京时间</td><td>2</td><td>0</td></tr>',
    );
    expect(r.stdout).toContain(
      '<li>无签名的数据（press-2，2024-10-01 08:30 北京时间）: 存储中有数据点没有任何签名记录覆盖（人工录入或由其他程序写入）</li>',
    );
  });

  it('hands over an A4 PDF whose first page says the data failed verification, in Chinese and Beijing time', async () => {
    const answers = fortyPoints();
    for (const s of ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程'])
      answers.scenes[s] = 2;
    const pdf = path.join(dir, 'tampered.pdf');
    const r = await shugaiAssess([
      '--answers',
      file('level2.yaml', stringify(answers)),
      ...evidenceArgs('plant.yaml', CONFIG),
      '--pubkey',
      identityFiles(path.join(dir, 'gw')).publicKey,
      '--organisation',
      '浙江省某数字化评测中心',
      '--format',
      'pdf',
      '--out',
      pdf,
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const info = await pdfInfo(pdf);
    expect(info['Page size']).toBe('594.96 x 841.92 pts (A4)');
    const pages = Number(info.Pages);
    expect(pages).toBeGreaterThan(2);

    const flat = (text: string) => text.replace(/\s+/g, '');
    const first = await pdfText(pdf, [1, 1]);
    // Running header and footer; the facts an assessor hands over, on the first page.
    expect(first).toMatch(/^永康某保温杯有限公司\s+中小企业数字化水平评测报告$/m);
    expect(flat(first)).toContain(`第1页共${pages}页`);
    expect(flat(first)).toContain('评测机构浙江省某数字化评测中心');
    expect(flat(first)).toContain('评测窗口2024-10-0100:00至2024-10-0200:00北京时间');
    expect(flat(first)).toMatch(new RegExp(`报告日期${beijingDate(Date.now())}\\d{2}:\\d{2}北京时间`));
    // The verdict on page 1, with its counts, and the level qualified by it.
    expect(flat(first)).toContain('数据完整性核验：未通过');
    expect(flat(first)).toContain(
      '设备数据与签名记录不符之处共1处:无签名的数据1处（网关yk-gw-01的有效签名记录60条）',
    );
    expect(flat(first)).toContain('评测结果:二级（未经设备数据证实）');

    const all = await pdfText(pdf);
    expect(flat(all)).toContain(`第${pages}页共${pages}页`);
    // The item table's first column lays out horizontally: the name and its type on one line.
    expect(all).toMatch(/^\s*设备数字化\s+单选\s/m);
    expect(all).toMatch(/^\s*网络建设\s+多选\s/m);
    expect(flat(all)).toContain('press-14.17%2024-10-0108:00至2024-10-01');
    // No UTC ISO time, and no English sentence: the findings, flags and notes are all in Chinese.
    expect(all).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    for (const english of ['no attestation covers', 'points', 'answered', 'upper bound', 'OEE computed'])
      expect(all).not.toContain(english);
    expect(all.match(/[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}/g)).toBeNull();

    // Page 1 rendered: A4 at 72 dpi is 595 × 842 pixels, and the red verdict box is drawn on it.
    const image = await pdfPage(pdf, 1, 72);
    expect([image.width, image.height]).toEqual([595, 842]);
    const red = (rgb: Buffer, fromRow: number, toRow: number) => {
      let n = 0;
      for (let i = fromRow * image.width * 3; i < toRow * image.width * 3; i += 3)
        if (rgb[i]! > 140 && rgb[i + 1]! < 60 && rgb[i + 2]! < 60) n++;
      return n;
    };
    expect(red(image.rgb, 0, image.height / 2)).toBeGreaterThan(1000);
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
