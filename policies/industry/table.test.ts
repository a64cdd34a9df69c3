/**
 * The GB/T 4754-2017 table as data: complete for manufacturing (31 divisions, 179 groups, 609
 * classes, the 2017 counts), every division present, the names the measures rest on exact, the
 * six names the two transcriptions disagreed on as settled, and codes that are not in it refused
 * with the reason. The aliases name only codes of the table.
 */
import { describe, expect, it } from 'vitest';
import { parseAliases } from './find.ts';
import {
  allIndustries,
  ancestorsOf,
  codeProblem,
  industryEntry,
  matchIndustry,
  parseTable,
} from './table.ts';

const manufacturing = allIndustries().filter(
  (e) => Number(e.code.slice(0, 2)) >= 13 && Number(e.code.slice(0, 2)) <= 43,
);
const count = (level: string) => manufacturing.filter((e) => e.level === level).length;

describe('the table', () => {
  it('has every division 01–97 and all of manufacturing: 31 divisions, 179 groups, 609 classes', () => {
    const divisions = allIndustries()
      .filter((e) => e.level === 'division')
      .map((e) => e.code);
    expect(divisions).toEqual(Array.from({ length: 97 }, (_, i) => String(i + 1).padStart(2, '0')));
    expect([count('division'), count('group'), count('class')]).toEqual([31, 179, 609]);
    // Every manufacturing group has a class under it, every class its group.
    for (const group of manufacturing.filter((e) => e.level === 'group')) {
      expect(manufacturing.some((e) => e.level === 'class' && e.code.startsWith(group.code))).toBe(true);
    }
    expect(allIndustries().filter((e) => e.level !== 'division' && !manufacturing.includes(e))).toEqual([]);
  });

  it('names the codes of the measures and of the issue exactly (3465 is electric tools, 3473 cameras)', () => {
    const names = Object.fromEntries(
      [
        '3465',
        '3473',
        '346',
        '347',
        '34',
        '3312',
        '3382',
        '3389',
        '244',
        '2443',
        '3780',
        '385',
        '3670',
        '181',
        '182',
        '2682',
        '1922',
        '2039',
        '342',
        '3491',
        '3492',
        '3964',
        '3962',
        '36',
        '38',
        '39',
        '13',
        '14',
        '3217',
        '3240',
        '3259',
        '3392',
        '2651',
        '2821',
      ].map((c) => [c, industryEntry(c)?.name]),
    );
    expect(names).toEqual({
      '3465': '风动和电动工具制造',
      '3473': '照相机及器材制造',
      '346': '烘炉、风机、包装等设备制造',
      '347': '文化、办公用机械制造',
      '34': '通用设备制造业',
      '3312': '金属门窗制造',
      '3382': '金属制餐具和器皿制造',
      '3389': '其他金属制日用品制造',
      '244': '体育用品制造',
      '2443': '健身器材制造',
      '3780': '非公路休闲车及零配件制造',
      '385': '家用电力器具制造',
      '3670': '汽车零部件及配件制造',
      '181': '机织服装制造',
      '182': '针织或钩针编织服装制造',
      '2682': '化妆品制造',
      '1922': '皮箱、包（袋）制造',
      '2039': '软木制品及其他木制品制造',
      '342': '金属加工机械制造',
      '3491': '工业机器人制造',
      '3492': '特殊作业机器人制造',
      '3964': '服务消费机器人制造',
      '3962': '智能车载设备制造',
      '36': '汽车制造业',
      '38': '电气机械和器材制造业',
      '39': '计算机、通信和其他电子设备制造业',
      '13': '农副食品加工业',
      '14': '食品制造业',
      '3217': '镁冶炼',
      '3240': '有色金属合金制造',
      '3259': '其他有色金属压延加工',
      '3392': '有色金属铸造',
      '2651': '初级形态塑料及合成树脂制造',
      '2821': '锦纶纤维制造',
    });
  });

  it('has the 2017 structure, not the 2011 one, and the six disputed names as settled', () => {
    expect(['3467', '3468', '4040', '4050'].map((c) => industryEntry(c)?.name)).toEqual([
      '包装专用设备制造',
      undefined,
      '光学仪器制造',
      '衡器制造',
    ]);
    expect(['15', '203', '204', '339', '349', '395'].map((c) => industryEntry(c)?.name)).toEqual([
      '酒、饮料和精制茶制造业',
      '木质制品制造',
      '竹、藤、棕、草等制品制造',
      '铸造及其他金属制品制造',
      '其他通用设备制造业',
      '非专业视听设备制造',
    ]);
    // A single-class group is printed with its class.
    expect([industryEntry('134')?.name, industryEntry('1340')?.name]).toEqual(['制糖业', '制糖业']);
  });

  it('marks the divisions read in one transcription only as unverified', () => {
    expect(industryEntry('65')?.unverified).toBe('one transcription (A) only; not read in B');
    expect(industryEntry('3465')?.unverified).toBeUndefined();
    expect(
      allIndustries()
        .filter((e) => e.unverified)
        .map((e) => e.code),
    ).toEqual(Array.from({ length: 49 }, (_, i) => String(i + 49)).filter((c) => c !== '75' && c !== '87'));
  });

  it('gives a code its division and group', () => {
    expect(ancestorsOf('3465').map((e) => `${e.code} ${e.name}`)).toEqual([
      '34 通用设备制造业',
      '346 烘炉、风机、包装等设备制造',
    ]);
    expect(ancestorsOf('34')).toEqual([]);
  });
});

describe('codes not in the table', () => {
  it('says why, and what the code would belong to', () => {
    expect(codeProblem('3465')).toBeUndefined();
    expect(codeProblem('3468')).toBe(
      '3468 is not a code of GB/T 4754-2017: 346 烘炉、风机、包装等设备制造 has 3461, 3462, 3463, 3464, 3465, 3466, 3467',
    );
    expect(codeProblem('6513')).toBe(
      '6513 is outside this table: it holds the groups and classes of manufacturing (13–43) only; write the division, "65" 软件和信息技术服务业',
    );
    expect(codeProblem('C3465')).toBe('write the code without its section letter: "3465"');
    expect(codeProblem('34650')).toBe('34650: a GB/T 4754-2017 code has 2 to 4 digits');
    expect(codeProblem('98')).toBe('98 is not a code of GB/T 4754-2017: there is no division 98');
  });

  it('refuses a malformed table line, naming the line', () => {
    expect(() => parseTable('34\t通用设备制造业\n3465\t风动和电动工具制造\n', 't.tsv')).toThrow(
      't.tsv:2: 3465 comes before its group',
    );
    expect(() => parseTable('34\t通用设备制造业\n34\t又一个\n', 't.tsv')).toThrow(
      't.tsv:2: 34 appears twice',
    );
  });
});

describe('matching a code against declared codes', () => {
  it('is within a declared code it starts with, coarser when it is a prefix of one, else outside', () => {
    expect(matchIndustry('3465', ['3465'])).toBe('within');
    expect(matchIndustry('3851', ['385'])).toBe('within');
    expect(matchIndustry('3859', ['38', '39'])).toBe('within');
    expect(matchIndustry('385', ['3851'])).toBe('coarser');
    expect(matchIndustry('34', ['3465'])).toBe('coarser');
    expect(matchIndustry('3473', ['3465'])).toBe('outside');
    expect(matchIndustry('35', ['3465'])).toBe('outside');
  });
});

describe('aliases', () => {
  it('name only codes of the table', () => {
    expect(() => parseAliases("aliases:\n  - { name: 电动工具, codes: ['3468'] }\n", 'a.yaml')).toThrow(
      'a.yaml: alias 电动工具: 3468 is not a code of GB/T 4754-2017',
    );
    expect(() => parseAliases('aliases:\n  - { name: 电动工具, codes: [3465] }\n', 'a.yaml')).toThrow(
      'codes.0',
    );
  });
});
