/**
 * Industries by code end to end (issue #12): what a person types becomes candidates; the code they
 * confirm is what the case carries and what the measure checks. A Yongkang electric-tool firm that
 * wrote 电动工具 gets the 二(三) subsidy once its code is confirmed, to the fen of the scenario; a
 * wrong industry is refused naming its code, its official name and the document's wording; a code
 * coarser than the measure needs asks for the finer one.
 */
import { describe, expect, it } from 'vitest';
import { PolicyBook } from '../engine/book.ts';
import { renderText } from '../engine/render.ts';
import { loadScenarioFiles } from '../scenario-files.ts';
import { checkIndustry, describeIndustry, findIndustries } from './index.ts';

const book = PolicyBook.load();
const scenarios = loadScenarioFiles();

/** The scenario file's default case and parameters, with another industry. */
function scenarioCase(measure: string, industry: unknown) {
  const first = scenarios.find((f) => f.measure === measure)!.scenarios[0]!;
  const input = structuredClone(first.input) as { enterprise: Record<string, unknown> };
  input.enterprise.industry = industry;
  return { input, params: first.params, amount: first.amount };
}

const ELECTRIC_TOOL_MEASURES = [
  'yongkang.light-saas',
  'yongkang.mid-smart-factory-pilot',
  'yongkang.mid-smart-factory-promotion',
];

describe('free text becomes candidates, the confirmed code gets the payout', () => {
  it('lists the candidates of 电动工具, 园林工具 and the code with how each was found', () => {
    const show = (text: string) => findIndustries(text, book).map((c) => [c.code, c.name, c.via]);
    expect(show('电动工具')).toEqual([['3465', '风动和电动工具制造', ['别名 电动工具', '名称']]]);
    expect(show('园林工具')).toEqual([
      ['3323', '农用及园林用金属工具制造', ['别名 园林工具']],
      [
        '3465',
        '风动和电动工具制造',
        [
          '文件用语 电动(园林)工具(永政办发〔2023〕40号 二(二))',
          '文件用语 电动(园林)工具(永政办发〔2023〕40号 二(三))',
          '别名 园林工具',
          '别名 电动园林工具',
        ],
      ],
      ['3572', '机械化农业及园艺机具制造', ['别名 园林工具', '别名 电动园林工具']],
    ]);
    expect(show('3465')).toEqual([['3465', '风动和电动工具制造', ['code']]]);
    expect(show('电动(园林)工具').map((c) => c[0])).toEqual(['3465', '3572', '3323']);
    expect(show('不锈钢保温杯').map((c) => c[0])).toEqual(['3382', '3389', '3056']);
    // What a document declares comes before an alias: 保温杯 is read as 3382, 3389 by 永康 二(一)1.
    expect(show('保温杯').map((c) => c[0])).toEqual(['3382', '3389', '3056']);
    expect(show('风动和电动工具制造').map((c) => c[0])).toEqual(['3465']);
    expect(show('量子纠缠')).toEqual([]);
  });

  for (const text of ['电动工具', '园林工具', '3465']) {
    it(`${text}: confirmed as 3465, each electric-tool measure pays the scenario's amount`, () => {
      const confirmed = findIndustries(text, book).find((c) => c.code === '3465')!;
      expect(confirmed.ancestors.map((a) => a.code)).toEqual(['34', '346']);
      for (const measure of ELECTRIC_TOOL_MEASURES) {
        const { input, params, amount } = scenarioCase(measure, confirmed.code);
        const result = book.compute(measure, input, { params });
        expect([measure, result.eligible, result.amount]).toEqual([measure, true, amount]);
      }
    });
  }

  it('pays 40000.00, 750000.00 and 375000.00: the amounts the scenarios pin down', () => {
    expect(ELECTRIC_TOOL_MEASURES.map((m) => scenarioCase(m, '3465').amount)).toEqual([
      '40000.00',
      '750000.00',
      '375000.00',
    ]);
  });

  it('refuses words in a case, naming the candidates, and a number, asking for a string', () => {
    const { input } = scenarioCase('yongkang.light-saas', '电动工具');
    expect(() => book.compute('yongkang.light-saas', input)).toThrow(
      expect.objectContaining({
        code: 'SHUGAI_CASE_INVALID',
        message:
          'case invalid:\nenterprise.industry: write a GB/T 4754-2017 code; 电动工具 may be 3465 风动和电动工具制造 (`shugai industry find 电动工具` lists candidates with their divisions)',
      }),
    );
    const garden = scenarioCase('yongkang.light-saas', '园林工具').input;
    expect(() => book.compute('yongkang.light-saas', garden)).toThrow(
      '园林工具 may be 3323 农用及园林用金属工具制造, 3465 风动和电动工具制造 or 3572 机械化农业及园艺机具制造',
    );
    const number = scenarioCase('yongkang.light-saas', 3465).input;
    expect(() => book.compute('yongkang.light-saas', number)).toThrow(
      'enterprise.industry: write the GB/T 4754-2017 code as a string, e.g. "3465"; a number is refused',
    );
  });

  it('reads full-width digits from a Chinese input method as the same code', () => {
    const { input, params } = scenarioCase('yongkang.light-saas', '３４６５');
    expect(book.compute('yongkang.light-saas', input, { params }).amount).toBe('40000.00');
  });

  it('shows the code with its name and the reading in the 计算说明', () => {
    const { input, params } = scenarioCase('yongkang.light-saas', '3465');
    const text = renderText(book.compute('yongkang.light-saas', input, { params }));
    expect(text).toContain('enterprise.industry = 3465 风动和电动工具制造');
    expect(text).toContain(
      '条件 enterprise.industry ∈ 电动(园林)工具 {3465}:行业为 3465 风动和电动工具制造,满足(解读:电动(园林)工具 → 3465:电动(园林)工具即手持的电动、风动工具',
    );
  });
});

describe('a wrong industry and a coarse code', () => {
  it('refuses 3473 naming its code, its official name and the wording, article and words', () => {
    const message =
      '行业 3473 照相机及器材制造 不在 电动(园林)工具(3465 风动和电动工具制造) 之内 — 二(三)“推进电动(园林)工具等行业规下企业推广轻量级数字化改造”';
    const { input, params } = scenarioCase('yongkang.light-saas', '3473');
    const result = book.compute('yongkang.light-saas', input, { params });
    expect(result).toMatchObject({ eligible: false, amount: '0.00' });
    expect(result.reasons).toEqual([
      {
        condition: 'enterprise.industry ∈ 电动(园林)工具 {3465}',
        article: '二(三)',
        document: '永政办发〔2023〕40号',
        message,
      },
    ]);
    expect(renderText(result)).toContain(`不符合:${message}〔永政办发〔2023〕40号 二(三)〕`);
    expect(checkIndustry('3473', 'yongkang.light-saas', book)).toMatchObject({ outcome: 'outside', message });
  });

  it('asks for the finer code when the case gives the division or group only', () => {
    for (const code of ['34', '346']) {
      const { input, params } = scenarioCase('yongkang.light-saas', code);
      const name = code === '34' ? '通用设备制造业' : '烘炉、风机、包装等设备制造';
      const message = `enterprise.industry: ${code} ${name} is coarser than yongkang.light-saas needs: 电动(园林)工具(3465 风动和电动工具制造) (二(三)); write the enterprise's finer code (\`shugai industry find\` lists codes and names)`;
      expect(() => book.compute('yongkang.light-saas', input, { params })).toThrow(
        expect.objectContaining({ code: 'SHUGAI_CASE_INVALID', message: `case invalid:\n${message}` }),
      );
      expect(checkIndustry(code, 'yongkang.light-saas', book)).toMatchObject({ outcome: 'coarser', message });
    }
  });

  it('still reports another failed condition rather than the coarse code', () => {
    const { input, params } = scenarioCase('yongkang.light-saas', '34');
    (input.enterprise as Record<string, unknown>).aboveScale = true;
    expect(book.compute('yongkang.light-saas', input, { params }).reasons.map((r) => r.article)).toEqual([
      '二(三)',
    ]);
  });
});

describe('the API for the bureau platform', () => {
  it('describes a code: official name, level and ancestors; refuses a code not in the table', () => {
    expect(describeIndustry('3465')).toEqual({
      code: '3465',
      name: '风动和电动工具制造',
      level: 'class',
      ancestors: [
        { code: '34', name: '通用设备制造业', level: 'division' },
        { code: '346', name: '烘炉、风机、包装等设备制造', level: 'group' },
      ],
    });
    expect(() => describeIndustry('3468')).toThrow(
      expect.objectContaining({
        code: 'SHUGAI_INDUSTRY_INVALID',
        message: expect.stringContaining('346 烘炉、风机、包装等设备制造 has 3461'),
      }),
    );
  });

  it('checks a code against a measure, with the declaration, its reading and the citation', () => {
    const check = checkIndustry('3851', 'haishu.national-pilot-renovation', book);
    expect(check).toMatchObject({
      measure: 'haishu.national-pilot-renovation',
      code: '3851',
      name: '家用制冷电器具制造',
      outcome: 'within',
      message: null,
      citation: {
        document: '海经信〔2024〕10号',
        article: '三',
        quote: '累计完成试点企业改造55家(运动休闲服装48家、新能源汽车零部件6家、家用电器1家)。',
      },
    });
    expect(check.declared.map((d) => [d.wording, d.codes.map((c) => c.code)])).toEqual([
      ['运动休闲服装', ['181', '182']],
      ['新能源汽车零部件', ['3670']],
      ['家用电器', ['385']],
    ]);
    expect(checkIndustry('3465', 'fuyang.factory-iot', book)).toMatchObject({
      outcome: 'any',
      declared: [],
      citation: null,
    });
    expect(() => checkIndustry('3465', 'yongkang.nope', book)).toThrow(
      expect.objectContaining({ code: 'SHUGAI_MEASURE_UNKNOWN' }),
    );
  });
});
