/**
 * The command-line contract as a script sees it: `node bin/shugai.mjs policy list --json` and
 * `payout … --json` / text / HTML / --batch, with exit 0 when computed and 2 for an invalid case, a
 * missing parameter or an ambiguous claim.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../bin/shugai.mjs');
// Each run starts the whole CLI (every subcommand's imports); on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 90_000 });
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function shugai(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `policy list` industry codes: "3465 风动和电动工具制造" → {code, name}. */
const named = (...entries: string[]) =>
  entries.map((e) => ({ code: e.split(' ')[0], name: e.split(' ')[1] }));

/** A batch's output: one JSON result per line. */
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const yongkangCase = {
  asOf: '2024-03-01',
  enterprise: {
    name: '永康某保温杯有限公司',
    region: '永康市',
    industry: '3389',
    aboveScale: true,
    sme: true,
  },
  investment: { total: '800000' },
};

describe('shugai policy list', () => {
  it('prints every measure as {id, document, article, title, validFrom, validTo, industries}', async () => {
    const { code, stdout } = await shugai(['policy', 'list', '--json']);
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as Record<string, unknown>[];
    expect(list.length).toBe(34);
    expect(list[0]).toEqual({
      id: 'yongkang.nx-renovation',
      document: '永政办发〔2023〕40号',
      article: '二(一)',
      title: '学样仿样推广法“N+X”数字化改造补助',
      validFrom: '2023-09-25',
      validTo: null,
      industries: [
        { wording: '防盗门', codes: named('3312 金属门窗制造') },
        {
          wording: '保温杯',
          codes: named('3382 金属制餐具和器皿制造', '3389 其他金属制日用品制造'),
        },
        {
          wording: '健康休闲',
          codes: named('244 体育用品制造', '3780 非公路休闲车及零配件制造'),
        },
      ],
    });
    expect(list.find((m) => m.id === 'yongkang.light-saas')?.industries).toEqual([
      { wording: '电动(园林)工具', codes: named('3465 风动和电动工具制造') },
    ]);
    expect(list.find((m) => m.id === 'fuyang.factory-iot')).toMatchObject({
      document: '杭州市富阳区关于深入推进制造业数字化改造加快建设“未来工厂”的实施意见',
      article: '三(三)',
      validFrom: '2021-11-20',
      validTo: '2025-12-31',
    });
    // The seed does not date Hebi's plan: no invented dates, the parameter that gives them is named.
    expect(list.find((m) => m.id === 'hebi.renovation')).toMatchObject({
      document: '鹤壁市中小企业数字化转型城市试点工作方案',
      article: '19',
      validFrom: null,
      validTo: null,
      validityParameter: 'hebi.publishedOn',
    });
  });

  it('gives Hebi dates once its publication date is passed (two years, Civil Code 201–202)', async () => {
    const { code, stdout } = await shugai([
      'policy',
      'list',
      '--json',
      '--param',
      'hebi.publishedOn=2024-11-15',
    ]);
    expect(code).toBe(0);
    const hebi = (JSON.parse(stdout) as Record<string, unknown>[]).find((m) => m.id === 'hebi.renovation');
    expect(hebi).toEqual({
      id: 'hebi.renovation',
      document: '鹤壁市中小企业数字化转型城市试点工作方案',
      article: '19',
      title: '试点企业数字化改造补助',
      validFrom: '2024-11-15',
      validTo: '2026-11-15',
      industries: [
        {
          wording: '智能电器电子信息制造',
          codes: named('38 电气机械和器材制造业', '39 计算机、通信和其他电子设备制造业'),
        },
        {
          wording: '新材料制品制造',
          codes: named(
            '3217 镁冶炼',
            '3240 有色金属合金制造',
            '3259 其他有色金属压延加工',
            '3392 有色金属铸造',
            '2651 初级形态塑料及合成树脂制造',
            '2821 锦纶纤维制造',
          ),
        },
        {
          wording: '绿色食品加工制造',
          codes: named('13 农副食品加工业', '14 食品制造业'),
        },
      ],
    });
  });

  it("names each measure's industries by code and name in the text listing", async () => {
    const { code, stdout } = await shugai(['policy', 'list']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'yongkang.light-saas\t永政办发〔2023〕40号 二(三)\t2023-09-25 至 (无截止日期)\t电动(园林)工具等行业规下企业轻量级数字化改造补助\t行业:电动(园林)工具(3465 风动和电动工具制造)\n',
    );
    expect(stdout).toContain(
      'fuyang.factory-iot\t杭州市富阳区关于深入推进制造业数字化改造加快建设“未来工厂”的实施意见 三(三)\t2021-11-20 至 2025-12-31\t',
    );
  });
});

describe('shugai payout --case', () => {
  it('computes a payout as JSON with its trace, exit 0', async () => {
    const { code, stdout } = await shugai([
      'payout',
      '--measure',
      'yongkang.nx-renovation',
      '--case',
      file('yk.json', yongkangCase),
      '--param',
      'yongkang.generalItProjectRate=0.15',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['measure', 'eligible', 'amount', 'reasons', 'split', 'trace']);
    expect(result).toMatchObject({
      measure: 'yongkang.nx-renovation',
      eligible: true,
      amount: '245000.00',
      reasons: [],
      split: null,
    });
    expect(result.trace.parameters).toContainEqual(
      expect.objectContaining({ name: 'yongkang.generalItProjectRate', value: '0.15', source: 'param' }),
    );
    expect(result.trace.steps.map((s: { kind: string }) => s.kind)).toContain('rounding');
  });

  it('stops with exit 2 and names the missing parameter as it is passed', async () => {
    const { code, stderr, stdout } = await shugai([
      'payout',
      '-m',
      'yongkang.nx-renovation',
      '-c',
      file('yk2.json', yongkangCase),
      '--json',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--param yongkang.generalItProjectRate=RATE');
    expect(stderr).toContain('四(一)');
  });

  it('exits 0 for a case that is not eligible and prints the 计算说明 with the reasons and articles', async () => {
    const c = { ...yongkangCase, investment: { total: '299999.99' } };
    const { code, stdout } = await shugai([
      'payout',
      '-m',
      'yongkang.nx-renovation',
      '-c',
      file('low.json', c),
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^计算说明\n/);
    expect(stdout).toContain('不符合条件,金额 0.00 元');
    expect(stdout).toContain(
      '不符合:投入总额为 299999.99 元,不满足“改造投入30万元(含)以上”〔永政办发〔2023〕40号 二(一)〕',
    );
  });

  it('exits 2 for an invalid case and names the field', async () => {
    const c = { ...yongkangCase, enterprise: { ...yongkangCase.enterprise, employees: 5 } };
    const { code, stderr } = await shugai([
      'payout',
      '-m',
      'yongkang.nx-renovation',
      '-c',
      file('bad.json', c),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('employees');
  });

  it('exits 2 for a case file with a key twice (JSON.parse would pay on the last), naming line and path', async () => {
    // The second total is the one JSON.parse would keep: 100 times the first.
    const text = JSON.stringify(yongkangCase, null, 2).replace(
      '"total": "800000"',
      '"total": "800000",\n    "total": "80000000"',
    );
    const p = file('twice.json', text);
    const line = text.split('\n').findIndex((l) => l.includes('"80000000"')) + 1;
    const { code, stderr, stdout } = await shugai(['payout', '-m', 'yongkang.nx-renovation', '-c', p]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`shugai: case file ${p}:${line} investment.total: duplicate key\n`);
    const broken = file('broken.json', '{\n  "asOf": "2024-03-01",\n  "enterprise": {\n}');
    const syntax = await shugai(['payout', '-m', 'yongkang.nx-renovation', '-c', broken]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toBe(
      `shugai: case file ${broken}:4 enterprise: not JSON: expected ',' or '}' (column 2)\n`,
    );
  });

  it('prints the 计算说明 as an HTML page with --html', async () => {
    const args = [
      'payout',
      '-m',
      'yongkang.nx-renovation',
      '-c',
      file('yk3.json', yongkangCase),
      '-p',
      'yongkang.generalItProjectRate=15%',
    ];
    const { code, stdout } = await shugai([...args, '--html']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^<!doctype html>/);
    expect(stdout).toContain('300000 元 × 15% = 45000 元');
    expect(stdout).toContain('符合条件,计算金额 245000.00 元');
  });

  it('refuses to choose between two measures that claim one case (exit 2)', async () => {
    const c = {
      asOf: '2024-04-01',
      enterprise: { name: '富阳某五金有限公司', region: '富阳区' },
      investment: { total: '2000000' },
    };
    const { code, stderr } = await shugai(['payout', '-c', file('amb.json', c)]);
    expect(code).toBe(2);
    expect(stderr).toContain('2 measures claim this case: fuyang.automation-project');
  });
});

describe('shugai payout --batch', () => {
  it('writes one JSON result per JSON line, errors included, and exits 2 when a line failed', async () => {
    const lines = [
      JSON.stringify({
        measure: 'yongkang.nx-renovation',
        case: yongkangCase,
        params: { 'yongkang.generalItProjectRate': '0.15' },
      }),
      '',
      JSON.stringify({
        measure: 'yongkang.nx-renovation',
        case: { ...yongkangCase, investment: { total: '1000' } },
      }),
      JSON.stringify({ measure: 'yongkang.nx-renovation', case: yongkangCase }),
      '{not json',
      '{"measure": "yongkang.nx-renovation", "case": {"investment": {"total": "1", "total": "900000"}}}',
    ];
    const { code, stdout } = await shugai([
      'payout',
      '--batch',
      file('cases.jsonl', lines.join('\n')),
      '--no-trace',
    ]);
    expect(code).toBe(2);
    const out = jsonLines(stdout);
    expect(out.map((o) => [o.line, o.amount ?? o.error.code])).toEqual([
      [1, '245000.00'],
      [3, '0.00'],
      [4, 'SHUGAI_PARAMETER_MISSING'],
      [5, 'SHUGAI_CASE_INVALID'],
      [6, 'SHUGAI_CASE_INVALID'],
    ]);
    expect(out[3].error.message).toBe(
      'line 5: case invalid: not JSON: expected a key in double quotes (column 2)',
    );
    expect(out[4].error.message).toBe('line 6: case invalid: case.investment.total: duplicate key');
    expect(out[0].trace).toBeNull();
  });

  it('reads CSV with a header, parameters per column, quoted JSON for earlier payouts; exit 0', async () => {
    const csv = [
      'measure,asOf,enterprise.name,enterprise.region,investment.revenue,priorPayouts,param.hebi.publishedOn,recognition.name,levelAfter,batch,investment.total,enterprise.industry,enterprise.sme',
      `fuyang.digital-engineering-provider,2024-12-01,杭州某服务商,富阳区,20000000,"[{""measure"":""fuyang.digital-engineering-provider"",""amount"":""600000"",""date"":""2024-03-01""}]",,,,,,,`,
      'hebi.renovation,2025-09-01,鹤壁某电器有限公司,鹤壁市,,,2024-11-15,,2,1,800000,3823,true',
    ].join('\r\n');
    const { code, stdout } = await shugai(['payout', '--batch', file('cases.csv', csv)]);
    expect(code).toBe(0);
    const out = jsonLines(stdout);
    expect(out.map((o) => [o.line, o.measure, o.eligible, o.amount])).toEqual([
      [2, 'fuyang.digital-engineering-provider', true, '400000.00'],
      [3, 'hebi.renovation', true, '400000.00'],
    ]);
    expect(out[1].trace.document.validTo).toBe('2026-11-15');
  });

  it('rejects an unknown CSV column before computing anything', async () => {
    const { code, stderr, stdout } = await shugai([
      'payout',
      '--batch',
      file('bad.csv', 'measure,asOf,employees\nx,2024-01-01,3\n'),
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown column "employees"');
  });
});

describe('industries by code on the command line', () => {
  const lightSaas = (industry: unknown) => ({
    asOf: '2024-01-15',
    enterprise: { name: '永康某小型工具厂', region: '永康市', industry, aboveScale: false, sme: true },
    investment: { total: '100000' },
  });

  it('industry find: words become candidate codes with their division and group; nothing found exits 2', async () => {
    const tools = await shugai(['industry', 'find', '电动工具']);
    expect(tools).toMatchObject({
      code: 0,
      stdout:
        '3465\t风动和电动工具制造\t34 通用设备制造业 › 346 烘炉、风机、包装等设备制造\t别名 电动工具; 名称\n',
    });
    const garden = await shugai(['industry', 'find', '园林工具', '--json']);
    expect(garden.code).toBe(0);
    expect((JSON.parse(garden.stdout) as { code: string }[]).map((c) => c.code)).toEqual([
      '3323',
      '3465',
      '3572',
    ]);
    const none = await shugai(['industry', 'find', '量子纠缠']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no GB/T 4754-2017 code, name or common name matches 量子纠缠');
  });

  it('industry show and check: the official name, and the code against a measure', async () => {
    expect(await shugai(['industry', 'show', '3465'])).toMatchObject({
      code: 0,
      stdout: '3465\t风动和电动工具制造\t34 通用设备制造业 › 346 烘炉、风机、包装等设备制造\n',
    });
    const unknown = await shugai(['industry', 'show', '3468']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '3468 is not a code of GB/T 4754-2017: 346 烘炉、风机、包装等设备制造 has 3461',
    );
    expect(await shugai(['industry', 'check', '3473', '-m', 'yongkang.light-saas'])).toMatchObject({
      code: 0,
      stdout:
        '行业 3473 照相机及器材制造 不在 电动(园林)工具(3465 风动和电动工具制造) 之内 — 二(三)“推进电动(园林)工具等行业规下企业推广轻量级数字化改造”\n',
    });
    const coarse = await shugai(['industry', 'check', '34', '-m', 'yongkang.light-saas']);
    expect(coarse.code).toBe(2);
    expect(coarse.stderr).toContain('34 通用设备制造业 is coarser than yongkang.light-saas needs');
  });

  it('payout --case takes the code as a string, and refuses words (naming candidates) and numbers', async () => {
    const ok = await shugai([
      'payout',
      '-m',
      'yongkang.light-saas',
      '-c',
      file('code.json', lightSaas('3465')),
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ eligible: true, amount: '40000.00' });
    const words = await shugai([
      'payout',
      '-m',
      'yongkang.light-saas',
      '-c',
      file('words.json', lightSaas('电动工具')),
    ]);
    expect(words.code).toBe(2);
    expect(words.stderr).toContain(
      'enterprise.industry: write a GB/T 4754-2017 code; 电动工具 may be 3465 风动和电动工具制造',
    );
    const number = await shugai([
      'payout',
      '-m',
      'yongkang.light-saas',
      '-c',
      file('number.json', lightSaas(3465)),
    ]);
    expect(number.code).toBe(2);
    expect(number.stderr).toContain(
      'enterprise.industry: write the GB/T 4754-2017 code as a string, e.g. "3465"',
    );
  });

  it('reads the enterprise.industry column of a CSV as a code, line by line', async () => {
    const csv = [
      'measure,asOf,enterprise.name,enterprise.region,enterprise.industry,enterprise.aboveScale,investment.total',
      'yongkang.light-saas,2024-01-15,甲,永康市,3465,false,100000',
      'yongkang.light-saas,2024-01-15,乙,永康市,3473,false,100000',
      'yongkang.light-saas,2024-01-15,丙,永康市,电动工具,false,100000',
      'yongkang.light-saas,2024-01-15,丁,永康市,34,false,100000',
    ].join('\n');
    const { code, stdout } = await shugai(['payout', '--batch', file('industry.csv', csv), '--no-trace']);
    expect(code).toBe(2);
    const out = jsonLines(stdout);
    expect(out.map((o) => [o.line, o.amount ?? o.error.code])).toEqual([
      [2, '40000.00'],
      [3, '0.00'],
      [4, 'SHUGAI_CASE_INVALID'],
      [5, 'SHUGAI_CASE_INVALID'],
    ]);
    expect(out[1].reasons[0].message).toBe(
      '行业 3473 照相机及器材制造 不在 电动(园林)工具(3465 风动和电动工具制造) 之内 — 二(三)“推进电动(园林)工具等行业规下企业推广轻量级数字化改造”',
    );
    expect(out[2].error.message).toContain('电动工具 may be 3465 风动和电动工具制造');
    expect(out[3].error.message).toContain('34 通用设备制造业 is coarser than yongkang.light-saas needs');
  });
});
