/**
 * `shugai assess` as a script sees it (a child process): JSON with level, gap, evidence and flags,
 * exit 0; an HTML report in Chinese; exit 2 with the path of the bad field for an invalid answers file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { EmbeddedStore } from '../gateway/sinks/embedded/store.ts';
import { BILLION_LAUGHS, BILLION_LAUGHS_REFUSAL } from '../test/bad-input.ts';
import { NOT_COUNTED } from './evidence/measure.ts';
import { fortyPoints, scratch, twoPresses } from './fixtures.ts';
import type { RegisterEntry } from './register/schema.ts';
import { registerCsv, registerXlsx } from './register/testing.ts';
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
    // Digitization is 2/2 in the data, as answered (10/10): no flag.
    expect(out.flags.map((f: { item: string }) => f.item)).toEqual(['device-networking']);
    expect(out.items.find((i: { id: string }) => i.id === 'device-networking').points).toBe('6');
    // Without a register the config is the denominator, and the evidence says what that means.
    expect(out.evidence.denominator).toEqual({
      basis: 'config',
      devices: 2,
      note: expect.stringContaining(
        'the rates are an upper bound on what the data shows about the enterprise',
      ),
    });
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

  it('exits 2 on an answers file with an alias bomb or a key twice, naming file and line', async () => {
    const bomb = file('bomb.yaml', `${BILLION_LAUGHS}\n${stringify(answers)}`);
    expect(await shugai(['--answers', bomb])).toMatchObject({
      code: 2,
      stderr: `shugai: answers ${bomb}:7: ${BILLION_LAUGHS_REFUSAL}\n`,
    });
    // JSON answers go through the same loader: the second edition would win under JSON.parse.
    const text = JSON.stringify(answers, null, 2).replace(
      '"edition": "2024",',
      '"edition": "2024",\n  "edition": "2022",',
    );
    const twice = file('twice.json', text);
    expect(await shugai(['--answers', twice])).toMatchObject({
      code: 2,
      stderr: `shugai: answers ${twice}:3: Map keys must be unique\n`,
    });
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

/** press-1 reported in the window, press-2 did not; an old press has no device; two entries are left out. */
const REGISTER: RegisterEntry[] = [
  {
    asset: 'ZC-0001',
    name: '液压机 1号',
    type: 'forming',
    production: true,
    status: 'in-service',
    workshop: '成型车间',
  },
  {
    asset: 'ZC-0002',
    name: '液压机 2号',
    type: 'forming',
    production: true,
    status: 'in-service',
    workshop: '成型车间',
  },
  {
    asset: 'ZC-0003',
    name: '开式冲床',
    type: 'forming',
    production: true,
    status: 'in-service',
    model: 'J23-40',
  },
  { asset: 'ZC-0004', name: '普通车床', type: 'machine-tool', production: true, status: 'scrapped' },
  { asset: 'ZC-0005', name: '电动叉车', type: 'handling', production: false, status: 'in-service' },
];

describe('shugai assess --register', () => {
  const csv = () => file('register.csv', registerCsv(REGISTER));
  const mapped = () => evidenceArgs('plant-r.yaml', twoPresses('test-gw', ['ZC-0001', 'ZC-0002']));

  it('measures the rates against the register and flags the networking claim with the devices that sent nothing', async () => {
    const register = csv();
    const r = await shugai([
      '--answers',
      file('r.yaml', stringify(answers)),
      ...mapped(),
      '--register',
      register,
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout);
    expect(out.evidence.denominator).toEqual({
      basis: 'register',
      file: register,
      entries: 5,
      inRates: 3,
      leftOut: [
        { asset: 'ZC-0004', name: '普通车床', production: true, status: 'scrapped' },
        { asset: 'ZC-0005', name: '电动叉车', production: false, status: 'in-service' },
      ],
    });
    expect(out.evidence.networking).toMatchObject({
      numerator: 1,
      denominator: 3,
      percent: '33.3333',
      band: { text: '(20%,40%]', points: '3' },
    });
    expect(out.evidence.digitization).toMatchObject({ numerator: 2, denominator: 3, percent: '66.6667' });
    const networking = out.flags.find((f: { item: string }) => f.item === 'device-networking');
    expect(networking.devices).toEqual([
      { asset: 'ZC-0002', name: '液压机 2号', reason: NOT_COUNTED.noSamples },
      { asset: 'ZC-0003', name: '开式冲床', reason: NOT_COUNTED.unmapped },
    ]);
    expect(out.items.find((i: { id: string }) => i.id === 'device-networking').points).toBe('6');
  });

  it('renders the register, the not-networked devices by type and their annex in the Chinese report (an .xlsx register)', async () => {
    const register = path.join(dir, 'register.xlsx');
    writeFileSync(register, await registerXlsx(REGISTER));
    const r = await shugai([
      '--answers',
      file('h.yaml', stringify(answers)),
      ...mapped(),
      '--register',
      register,
      '--format',
      'html',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(
      `实测 1/3 = 33.3333% (20%,40%]（2024-10-01 00:00 至 2024-10-02 00:00 北京时间；分母: 设备台账 ${register} 中在用的生产设备）`,
    );
    expect(r.stdout).toContain(
      `<h2>设备台账与设备联网</h2>\n<p>分母: 设备台账 ${register}，共 5 条；计入联网率与数字化率分母的在用生产设备 3 台；未计入 2 台（非生产设备 1 台，报废 1 台，见附表二）。</p>\n` +
        '<p>联网（窗口内有有效数据）1 台；未联网 2 台: 锻压设备 2 台（清单见附表一）。</p>\n' +
        '<p>数字化（网关已配置采集点）2 台；未数字化 1 台。</p>',
    );
    expect(r.stdout).toContain('（未计入的 2 台设备见附表一）</li>');
    expect(r.stdout).toContain(
      '<h2>附表一 未联网的生产设备（2 台）</h2>\n<table><thead><tr><th>序号</th><th>资产编号</th><th>设备名称</th><th>设备类型</th><th>车间</th><th>产线</th><th>网关设备</th><th>原因</th></tr></thead>\n' +
        '<tr><td>1</td><td>ZC-0002</td><td>液压机 2号</td><td>锻压设备</td><td>成型车间</td><td></td><td>press-2</td><td>窗口内无数据</td></tr>\n' +
        '<tr><td>2</td><td>ZC-0003</td><td>开式冲床</td><td>锻压设备</td><td></td><td></td><td>—</td><td>未接入网关（网关配置中没有对应设备）</td></tr>\n</table>',
    );
    expect(r.stdout).toContain(
      '<tr><td>1</td><td>ZC-0004</td><td>普通车床</td><td>是</td><td>报废</td></tr>',
    );
  });

  it('says in the report that without a register the rates are an upper bound', async () => {
    const r = await shugai([
      '--answers',
      file('u.yaml', stringify(answers)),
      ...evidenceArgs('plant-u.yaml', CONFIG),
      '--format',
      'html',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '<p class="flag">分母为网关配置中的 2 台生产设备，不是企业的设备台账。网关配置之外的生产设备没有计入，故实测比率是设备数据所能证明的上限',
    );
    // The flag of the networking claim, in Chinese (the JSON keeps its English message).
    expect(r.stdout).toContain(
      '<li>设备联网: 填报 10/10 = 100% (60%,100%]（6 分），但 2024-10-01 00:00 至 2024-10-02 00:00 北京时间 的设备数据显示 1/2 = 50%，档位 (40%,60%]（4.5 分）；分母为网关配置中的生产设备，不是企业的设备台账，实测比率为上限，请企业提供设备台账（--register）</li>',
    );
    expect(r.stdout).not.toContain('answered');
    // Evidence without --pubkey: page 1 says the data was not verified, and the level stands unqualified.
    expect(r.stdout).toContain('<p class="verdict-title">数据完整性核验：未进行</p>');
    expect(r.stdout).toContain('<h2>评测结果: 二级</h2>');
    expect(r.stdout).not.toContain('未联网的生产设备');
    expect(r.stdout).not.toContain('未计入分母的台账设备');
  });

  it('exits 2 naming the config line of a device not in the register, and the row of a duplicate asset number', async () => {
    const register = csv();
    const config = file('plant-r2.yaml', twoPresses('test-gw', ['ZC-0001', 'ZC-0099']));
    const window = ['--store', path.join(dir, 'samples.db'), '--window', '2024-10-01..2024-10-02'];
    const unknown = await shugai([
      '--answers',
      file('r2.yaml', stringify(answers)),
      '--config',
      config,
      ...window,
      '--register',
      register,
    ]);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      `shugai: ${config}:20 connections[0].devices[1].asset: asset number ZC-0099 of device "press-2" is not in the register ${register}\n`,
    ]);
    const twice = file('twice.csv', `${registerCsv(REGISTER)}ZC-0002,液压机 3号,锻压设备,是,在用,,,\r\n`);
    const duplicate = await shugai([
      '--answers',
      file('r3.yaml', stringify(answers)),
      ...mapped(),
      '--register',
      twice,
    ]);
    expect([duplicate.code, duplicate.stderr]).toEqual([
      2,
      `shugai: ${twice}:7 资产编号: duplicate asset number ZC-0002 (first at line 3)\n`,
    ]);
    const alone = await shugai(['--answers', file('r4.yaml', stringify(answers)), '--register', register]);
    expect([alone.code, alone.stderr]).toEqual([
      2,
      'shugai: --register needs --config, --store and --window\n',
    ]);
  });
});
