/**
 * `shugai assess` as a script sees it (a child process): JSON with level, gap, evidence and flags,
 * exit 0; an HTML report in Chinese; exit 2 with the path of the bad field for an invalid answers file.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { fortyPoints, scratch, twoPresses } from './fixtures.ts';
import { shugaiAssess } from './test-cli.ts';
import { pdfReport } from './test-pdf.ts';

// Each run starts the whole CLI; on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 90_000 });
const { dir, file, evidenceArgs, remove } = scratch('shugai-assess-');
afterAll(remove);

const shugai = shugaiAssess;

const answers = fortyPoints();
for (const s of ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程'])
  answers.scenes[s] = 2;

const CONFIG = twoPresses('test-gw');

beforeAll(async () => {
  const store = new EmbeddedStore('s', path.join(dir, 'samples.db'));
  const at = Date.parse('2024-10-01T08:00:00+08:00');
  await store.write([
    {
      device: 'press-1',
      tag: 'count',
      value: 5,
      type: 'integer',
      quality: 'good',
      statusCode: 0,
      sourceTime: at,
      receivedAt: at,
    },
  ]);
  await store.close();
});

describe('shugai assess', () => {
  it('prints the result as JSON and flags a networking claim above the data (1/2 = 50%)', async () => {
    const r = await shugai([
      '--answers',
      file('a.yaml', stringify(answers)),
      ...evidenceArgs('plant.yaml', CONFIG),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.level, out.score, out.gap.target]).toEqual([2, '40', 3]);
    expect(out.evidence.networking).toMatchObject({ numerator: 1, denominator: 2, percent: '50' });
    expect(out.evidence.window).toEqual({ from: '2024-09-30T16:00:00.000Z', to: '2024-10-01T16:00:00.000Z' });
    expect(out.flags.map((f: { item: string }) => f.item)).toEqual(['device-networking']);
    expect(out.items.find((i: { id: string }) => i.id === 'device-networking').points).toBe('6');
  });

  it('renders the Chinese HTML report', async () => {
    const r = await shugai(['--answers', file('b.json', JSON.stringify(answers)), '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<h2>评测结果: 二级</h2>');
    expect(r.stdout).toContain(
      '总分 S = 40 分；距三级: 还差 20 分；还需 8 个场景达到三级及以上；还需 5 个约束性(★)场景达到三级及以上',
    );
  });

  it('prints the same report to PDF with headless Chromium, its Chinese text intact', async () => {
    const pdf = path.join(dir, 'report.pdf');
    const text = await pdfReport(shugai, ['--answers', file('p.json', JSON.stringify(answers))], pdf);
    expect(text).toContain('评测结果: 二级');
    expect(text.replace(/\s+/g, '')).toContain('总分S=40分');
    const missing = await shugai(['--answers', file('q.json', JSON.stringify(answers)), '--format', 'pdf']);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'shugai: --format pdf needs --out FILE']);
  });

  it('attaches 绿色低碳/产品质量 from two windows with --outcomes, and refuses an unconfigured series', async () => {
    const evidence = evidenceArgs('plant2.yaml', CONFIG);
    const ok = await shugai([
      '--answers',
      file('o.yaml', stringify(answers)),
      ...evidence,
      '--outcomes',
      file(
        'outcomes.yaml',
        'before: 2024-09-01..2024-09-02\nquality: { passed: [press-1/count], inspected: [press-2/count] }\nflatWithin: "0.02"\n',
      ),
    ]);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    // press-2 never reported: no inspections in either window, so no direction and no flag.
    expect(JSON.parse(ok.stdout).evidence.outcomes).toMatchObject([
      {
        item: 'pass-rate',
        before: { window: { from: '2024-08-31T16:00:00.000Z', to: '2024-09-01T16:00:00.000Z' }, value: null },
        after: { numerator: '0', denominator: '0', value: null },
        flatWithin: '0.02',
        option: null,
      },
    ]);
    // A tolerance written as a YAML number would already be a float: it must be quoted.
    const float = await shugai([
      '--answers',
      file('o3.yaml', stringify(answers)),
      ...evidence,
      '--outcomes',
      file('outcomes3.yaml', 'before: 2024-09-01..2024-09-02\nflatWithin: 0.02\n'),
    ]);
    expect([float.code, float.stderr.trim()]).toEqual([
      2,
      `shugai: --outcomes ${path.join(dir, 'outcomes3.yaml')}: flatWithin: Invalid input: expected string, received number`,
    ]);
    const bad = await shugai([
      '--answers',
      file('o2.yaml', stringify(answers)),
      ...evidence,
      '--outcomes',
      file(
        'outcomes2.yaml',
        'before: 2024-09-01..2024-09-02\nenergy: { energy: [meter-9/kwh], output: [press-1/count] }\n',
      ),
    ]);
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      `shugai: --outcomes ${path.join(dir, 'outcomes2.yaml')}: not a configured device/tag: meter-9/kwh`,
    ]);
  });

  it('exits 2 naming the bad field of an invalid answers file', async () => {
    const bad = { ...answers, items: { ...answers.items, talent: { options: ['chess'] } } };
    const r = await shugai(['--answers', file('c.yaml', stringify(bad))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('items.talent.options[0]: unknown option "chess"');
    const partial = await shugai(['--answers', file('d.yaml', stringify(answers)), '--store', 'x.db']);
    expect([partial.code, partial.stderr.trim()]).toEqual([
      2,
      'shugai: evidence needs all of --config FILE, --store FILE and --window FROM..TO',
    ]);
    const old = await shugai(['--answers', file('e.yaml', stringify({ ...answers, edition: '2022' }))]);
    expect([old.code, old.stderr]).toEqual([
      2,
      `shugai: answers ${path.join(dir, 'e.yaml')}: edition 2022 has only its level bands in the catalogue; its items were not found\n`,
    ]);
  });
});
