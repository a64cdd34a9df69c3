/**
 * The register read from the three forms an enterprise hands in: one register written as CSV (BOM,
 * title row, quoted commas and line breaks, an extra column), as a real .xlsx (exceljs: a notes sheet
 * first, merged title, rich text, a formula, booleans) and as YAML gives the same entries; every
 * problem is refused with its file, line and column, all of them at once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { deviceTypesMarkdown, registerFieldsMarkdown, statusesMarkdown } from './docs.ts';
import { parseRegister } from './read.ts';
import { DEVICE_TYPES, EQUIPMENT_STATUSES, type RegisterEntry } from './schema.ts';

const ENTRIES: RegisterEntry[] = [
  {
    asset: 'ZC-0001',
    name: '数控车床, 1号',
    type: 'machine-tool',
    production: true,
    status: 'in-service',
    workshop: '金工车间',
    line: '杯口线',
    model: 'CK6136',
  },
  {
    asset: 'ZC-0002',
    name: '液压拉伸机\n(老)',
    type: 'forming',
    production: true,
    status: 'idle',
    workshop: '成型车间',
    model: 'YT32-100',
  },
  { asset: 'ZC-0003', name: '电表', type: 'instrument', production: false, status: 'in-service' },
  {
    asset: '1007',
    name: '手工包装台',
    type: 'packing',
    production: true,
    status: 'in-service',
    workshop: '包装车间',
  },
];

const CSV = [
  '\ufeff永康某保温杯有限公司 设备台账,,,,,,,,',
  '资产编号,设备名称,设备类别,是否生产设备（是/否）*,使用状态,车间,产线,规格型号,原值（元）',
  'ZC-0001,"数控车床, 1号",车床,是,在用,金工车间,杯口线,CK6136,120000',
  ',,,,,,,,',
  'ZC-0002,"液压拉伸机',
  '(老)",锻压设备,是,闲置,成型车间,,YT32-100,',
  'ＺＣ－０００３,电表,仪表,否,,,,,',
  '1007,手工包装台,packing,Y,备用,包装车间,,,',
  '',
].join('\r\n');

async function xlsx(build: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('说明').addRow(['本表由设备科维护']);
  const sheet = workbook.addWorksheet('设备台账');
  build(sheet);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const HEADER = ['asset', 'name', 'type', 'production', 'status', 'workshop', 'line', 'model'];

const XLSX = () =>
  xlsx((sheet) => {
    sheet.addRow(['永康某保温杯有限公司 设备台账']);
    sheet.mergeCells('A1:H1');
    sheet.addRow(HEADER);
    sheet.addRow([
      'ZC-0001',
      { richText: [{ text: '数控车床, ' }, { text: '1号' }] },
      'machine-tool',
      true,
      'in-service',
      '金工车间',
      '杯口线',
      'CK6136',
    ]);
    sheet.addRow([
      'ZC-0002',
      { formula: '"液压拉伸机"&CHAR(10)&"(老)"', result: '液压拉伸机\n(老)' },
      '锻压设备',
      true,
      '闲置',
      '成型车间',
      null,
      'YT32-100',
    ]);
    sheet.addRow(['ZC-0003', '电表', '仪器仪表', false]);
    sheet.addRow([1007, '手工包装台', '包装设备', '是', '在用', '包装车间']); // a number typed in a cell
  });

const YAML = `
devices:
  - { asset: ZC-0001, name: '数控车床, 1号', type: machine-tool, production: true, status: in-service, workshop: 金工车间, line: 杯口线, model: CK6136 }
  - asset: ZC-0002
    name: "液压拉伸机\\n(老)"
    type: forming
    production: true
    status: 闲置
    workshop: 成型车间
    model: YT32-100
  - { asset: ZC-0003, name: 电表, type: instrument, production: 否, status: ~ }
  - { asset: '1007', name: 手工包装台, type: packing, production: true, workshop: 包装车间 }
`;

/** The issues of a refused register, as `file:line column: message`. */
async function refused(content: string | Buffer, file: string): Promise<string[]> {
  try {
    await parseRegister(typeof content === 'string' ? Buffer.from(content) : content, file);
  } catch (error) {
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).code).toBe('SHUGAI_REGISTER_INVALID');
    expect((error as RegisterError).exitCode).toBe(2);
    return (error as Error).message.split('\n');
  }
  throw new Error(`${file} was accepted`);
}

describe('parseRegister', () => {
  it('reads the same register from CSV, XLSX and YAML', async () => {
    expect(await parseRegister(Buffer.from(CSV), 'register.csv')).toEqual({
      file: 'register.csv',
      entries: ENTRIES,
    });
    expect(await parseRegister(await XLSX(), 'register.xlsx')).toEqual({
      file: 'register.xlsx',
      entries: ENTRIES,
    });
    expect(await parseRegister(Buffer.from(YAML), 'register.yml')).toEqual({
      file: 'register.yml',
      entries: ENTRIES,
    });
  });

  it('parses bytes uploaded under any name when the form is given (the platform)', async () => {
    const register = await parseRegister(
      new Uint8Array(Buffer.from(CSV.replace('\ufeff', ''))),
      'upload-17',
      'csv',
    );
    expect(register.entries.map((e) => e.asset)).toEqual(['ZC-0001', 'ZC-0002', 'ZC-0003', '1007']);
  });

  it('refuses a duplicate asset number in each form, naming both places', async () => {
    const csv = `${CSV}ZC-0001,另一台车床,车床,是,在用,,,,\r\n`;
    expect(await refused(csv, 'register.csv')).toEqual([
      'register.csv:9 资产编号: duplicate asset number ZC-0001 (first at line 3)',
    ]);
    const book = await xlsx((sheet) => {
      sheet.addRow(HEADER);
      sheet.addRow(['ZC-0001', '车床', 'machine-tool', true]);
      sheet.addRow(['ZC-0009', '焊机', 'welding', true]);
      sheet.addRow(['ＺＣ－０００１', '车床', 'machine-tool', true]); // full-width: the same number
    });
    expect(await refused(book, 'register.xlsx')).toEqual([
      'register.xlsx:4 asset: duplicate asset number ZC-0001 (first at row 2)',
    ]);
    const yaml = `devices:\n  - { asset: A-1, name: x, type: other, production: true }\n  - asset: A-1\n    name: y\n    type: other\n    production: false\n`;
    expect(await refused(yaml, 'register.yaml')).toEqual([
      'register.yaml:3 devices[1].asset: duplicate asset number A-1 (first at line 2)',
    ]);
  });

  it('refuses a missing required column, naming the headers it would read', async () => {
    const csv = '资产编号,设备名称,是否生产设备\nZC-1,车床,是\n';
    expect(await refused(csv, 'register.csv')).toEqual([
      'register.csv:1: missing column 设备类型 (headers read as it: 设备类型, 设备类别, 设备分类, type)',
    ]);
    expect(await refused('名称,类别\n车床,车床\n', 'r.csv')).toEqual([
      'r.csv: no header row: none of the first 10 rows names the asset number column (资产编号, 固定资产编号, 设备编号, asset)',
    ]);
    expect(await refused('资产编号,资产编号,名称,type,production\n', 'r.csv')).toEqual([
      'r.csv:1 资产编号: a second column 资产编号; keep one',
    ]);
  });

  it('reports every bad cell at once: unknown type and status, not 是/否, empty, bad asset number', async () => {
    const csv = [
      '设备编号,名称,设备类型,生产设备,状态',
      'ZC-1,车床,飞机,是,在用',
      'ZC-2,,车床,maybe,坏了',
      ',冲床,冲床,否,',
      'ZC\t4,冲床,冲床,,在用',
    ].join('\n');
    const types = DEVICE_TYPES.map((t) => `${t.zh} (${t.id})`).join(', ');
    const statuses = EQUIPMENT_STATUSES.map((s) => `${s.zh} (${s.id})`).join(', ');
    expect(await refused(csv, 'register.csv')).toEqual([
      `register.csv:2 设备类型: unknown device type "飞机"; expected one of ${types}`,
      'register.csv:3 名称: empty; every device needs its name',
      'register.csv:3 生产设备: "maybe" is not 是 or 否; expected 是 or 否 (also yes, y, true, 1, no, n, false, 0)',
      `register.csv:3 状态: unknown status "坏了"; expected one of ${statuses}`,
      'register.csv:4 设备编号: empty; every device needs its asset number',
      'register.csv:5 设备编号: asset numbers are 1–64 characters, no control characters',
      'register.csv:5 生产设备: empty; expected 是 or 否 (also yes, y, true, 1, no, n, false, 0)',
    ]);
  });

  it('refuses text that is not UTF-8, an open quote, an .xls and a file that is no workbook', async () => {
    const gbk = Buffer.concat([Buffer.from('d7cab2fab1e0bac5', 'hex'), Buffer.from(',name\n')]); // 资产编号 in GBK
    expect(await refused(gbk, 'register.csv')).toEqual([
      'register.csv: not UTF-8 text (GBK?); save it as UTF-8 (Excel: "CSV UTF-8 (逗号分隔)")',
    ]);
    expect(await refused('资产编号,名称\nZC-1,"车床\n', 'register.csv')).toEqual([
      'register.csv:2: a quoted field is not closed',
    ]);
    expect(await refused('x', 'register.xls')).toEqual([
      'register.xls: not a register form (an old .xls workbook: save it as .xlsx); expected .csv, .xlsx, .yaml or .yml',
    ]);
    const [notBook] = await refused('资产编号\n', 'register.xlsx');
    expect(notBook).toMatch(/^register\.xlsx: not an \.xlsx workbook: /);
  });

  it('refuses a cell that shows an Excel error instead of reading its text', async () => {
    const book = await xlsx((sheet) => {
      sheet.addRow(HEADER);
      sheet.addRow(['ZC-1', { error: '#N/A' }, 'other', true]);
      sheet.addRow(['ZC-2', 'x', { formula: 'VLOOKUP(A3,B:B,2)', result: { error: '#REF!' } }, true]);
    });
    expect(await refused(book, 'register.xlsx')).toEqual([
      'register.xlsx:2 name: the cell shows the error #N/A',
      'register.xlsx:3 type: the cell shows the error #REF!',
    ]);
  });

  it('holds YAML to its keys and keeps asset numbers as written', async () => {
    const yaml = [
      'devices:',
      '  - { asset: 0007, name: x, type: other, production: true }',
      '  - { asst: ZC-2, name: y, type: other, production: yes, workshop: [a] }',
      'owner: me',
    ].join('\n');
    expect(await refused(yaml, 'register.yaml')).toEqual([
      'register.yaml:4 owner: unknown key; expected devices',
      'register.yaml:3 devices[1].asst: unknown field; expected asset, name, type, production, status, workshop, line, model',
      'register.yaml:3 devices[1].workshop: expected a value, not a list or mapping',
      "register.yaml:2 devices[0].asset: 7 is a number here; write the asset number in quotes ('7')",
      'register.yaml:3 devices[1].asset: missing',
    ]);
    expect(await refused('devices:\n  - { asset: A, asset: B }\n', 'register.yaml')).toEqual([
      'register.yaml:2: Map keys must be unique',
    ]);
    expect(await refused('devices: []\n', 'register.yaml')).toEqual([
      'register.yaml: no devices in the register',
    ]);
  });
});

describe('the word lists', () => {
  it('read every word as one type or one status only', () => {
    const words = [...DEVICE_TYPES, ...EQUIPMENT_STATUSES].flatMap((x) => [x.id, x.zh, ...x.also]);
    expect(new Set(words).size).toBe(words.length);
  });

  it('are documented in assessment/register/README.md exactly as the parser reads them', () => {
    const readme = readFileSync(path.join(import.meta.dirname, 'README.md'), 'utf8');
    expect(readme).toContain(registerFieldsMarkdown());
    expect(readme).toContain(deviceTypesMarkdown());
    expect(readme).toContain(statusesMarkdown());
  });
});
