/**
 * The report as an assessor hands it over: the first page's facts (organisation, window, report date
 * in Beijing time), one way of printing points (the table and the radar agree), and 250 tags
 * summarised per business link with the full list in an annex, checked in the HTML and in the PDF
 * Chromium prints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { loadCatalogue } from './catalogue/load.ts';
import { type Evidence, measureEvidence } from './evidence/measure.ts';
import { evidenceDevice, evidenceSample, fortyPoints } from './fixtures.ts';
import { htmlToPdf } from './pdf.ts';
import { buildReport, renderHtml } from './report.ts';
import { pdfInfo, pdfText } from './test-cli.ts';

vi.setConfig({ testTimeout: 90_000 });
const catalogue = loadCatalogue('2024');
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2024-10-01T08:00:00+08:00');
const window = { from: T0, to: T0 + 24 * 3_600_000 };
/** Ten machines of 25 tags each, every tag with one good sample: 250 tags for 生产管控 and 设备管理. */
const MACHINES = Array.from({ length: 10 }, (_, m) =>
  evidenceDevice(
    `cnc-${String(m + 1).padStart(2, '0')}`,
    true,
    Array.from({ length: 25 }, (_, t) => `spindle_load_${String(t + 1).padStart(2, '0')}`),
  ),
);

let evidence: Evidence;
beforeAll(async () => {
  const store = new EmbeddedStore('s', path.join(dir, 'samples.db'));
  const samples = MACHINES.flatMap((d, m) =>
    d.tags.map((t, i) => evidenceSample(d.id, t.id, T0 + 60_000 * (m * 25 + i))),
  );
  expect(await store.write(samples)).toEqual({ kind: 'ok' });
  evidence = await measureEvidence(catalogue, MACHINES, store, window, 'samples.db');
  await store.close();
});

describe('the report as handed over', () => {
  it('prints the organisation, the window and the report date in Beijing time on its first page', () => {
    const answers = { ...fortyPoints(), organisation: '浙江省某数字化评测中心' };
    const report = buildReport(catalogue, answers, evidence);
    expect(report.organisation).toBe('浙江省某数字化评测中心');
    // 2026-12-03 22:05 UTC is already the 4th in Beijing.
    const html = renderHtml(report, { issuedAt: new Date('2026-12-03T22:05:00Z') });
    expect(html).toContain('<tr><th>评测机构</th><td>浙江省某数字化评测中心</td></tr>');
    expect(html).toContain(
      '<tr><th>评测窗口</th><td>2024-10-01 08:00 至 2024-10-02 08:00 北京时间</td></tr>',
    );
    expect(html).toContain('<tr><th>报告日期</th><td>2026-12-04 06:05 北京时间</td></tr>');
    // The command line's organisation wins over the answers'; none at all is said.
    expect(renderHtml(report, { organisation: '某评测机构' })).toContain(
      '<tr><th>评测机构</th><td>某评测机构</td></tr>',
    );
    expect(renderHtml(buildReport(catalogue, fortyPoints(), null))).toContain(
      '<tr><th>评测机构</th><td>（未填写）</td></tr>',
    );
  });

  it('says on page 1 that clean data passed verification, and what the store alone cannot show', () => {
    const clean = {
      ...evidence,
      integrity: {
        gateway: 'yk-gw-01',
        clean: true,
        attestations: { valid: 250, firstSeq: 1, lastSeq: 250 },
        findingCounts: {},
        findings: [],
        devices: [],
        flags: [],
        guarantees: [
          { id: 'points' as const, held: true },
          { id: 'head' as const, held: true },
          { id: 'tail' as const, held: false },
        ],
      },
    };
    const html = renderHtml(buildReport(catalogue, fortyPoints(), clean));
    expect(html).toContain(
      '<div class="verdict pass"><p class="verdict-title">数据完整性核验：通过</p><p>设备数据与网关 yk-gw-01 的有效签名记录 250 条一致。</p>' +
        '<p>注意: 最新数据连同其签名记录一并删除，仅凭本地存储无法发现，须与主管部门保存的签名记录副本（--central）核对。</p></div>',
    );
    expect(html).toContain('<h2>评测结果: 未达到一级</h2>');
  });

  it('prints a score the same way in the table, the radar and the text (7.875, not 7.88)', () => {
    const answers = fortyPoints();
    answers.items['planning-implementation'] = { options: ['effective'] }; // 6
    answers.items['management-mechanisms'] = { options: ['workflow'] }; // 1.875
    const report = buildReport(catalogue, answers, null);
    expect(report.dimensions.find((d) => d.name === '数字化管理')!.points).toBe('7.875');
    const html = renderHtml(report);
    expect(html).toContain('<tr><td>数字化管理</td><td>7.875</td><td>30</td></tr>');
    expect(html).toContain('>数字化管理 7.875 / 30</text>');
    expect(html).toContain('总分 S = 47.875 分');
    expect(html).not.toContain('7.88 ');
  });

  it('summarises 250 tags per business link in the item table and lists them in an annex', async () => {
    const report = buildReport(catalogue, fortyPoints(), evidence);
    const html = renderHtml(report);
    const row = html.slice(html.indexOf('<td>实现数据自动采集的业务环节覆盖范围</td>'));
    const cell = row.slice(0, row.indexOf('</tr>'));
    expect(cell).toContain(
      '数据自动采集（2 个业务环节，采集点清单见附表一）:<br>' +
        '生产管控: 10 台设备 250 个采集点，2024-10-01 08:00 至 2024-10-01 12:09 北京时间<br>' +
        '设备管理: 10 台设备 250 个采集点，2024-10-01 08:00 至 2024-10-01 12:09 北京时间',
    );
    expect(cell).not.toContain('spindle_load');
    expect(html).toContain(
      '<tr><td>生产管控</td><td>cnc-01</td><td>25</td><td>spindle_load_01、spindle_load_02、',
    );

    const pdf = path.join(dir, 'tags.pdf');
    await htmlToPdf(html, pdf);
    const info = await pdfInfo(pdf);
    expect(info['Page size']).toBe('594.96 x 841.92 pts (A4)');
    const text = await pdfText(pdf);
    const flat = text.replace(/\s+/g, '');
    // Every tag id is printed once per link, in the annex, after the report's sections.
    const annex = flat.indexOf('附表一各业务环节自动采集的采集点');
    expect(annex).toBeGreaterThan(flat.indexOf('签字'));
    expect(flat.indexOf('spindle_load')).toBeGreaterThan(annex);
    expect(flat.match(/spindle_load_\d\d/g)).toHaveLength(500);
    // The item table with its summary stays short: from its heading to the scenes, two page breaks at most.
    const page = (marker: string) => text.slice(0, text.indexOf(marker)).split('\f').length;
    expect(page('数字化经营场景') - page('评测题目')).toBeLessThanOrEqual(2);
  });
});
