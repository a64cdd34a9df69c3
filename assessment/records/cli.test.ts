/**
 * The workflow as a script sees it (child processes of `shugai assess …`): record a self-assessment,
 * validation refused before the on-site stage, the on-site version naming the first, validation,
 * then a before/after comparison printed to PDF with its radar, before/after tables and signatures;
 * refused steps exit 2 with the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { loadCatalogue } from '../catalogue/load.ts';
import { fortyPoints } from '../fixtures.ts';
import { buildReport } from '../report.ts';
import { shugaiAssess } from '../test-cli.ts';
import { pdfReport } from '../test-pdf.ts';
import { RecordStore } from './store.ts';

vi.setConfig({ testTimeout: 120_000 });
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-records-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const records = path.join(dir, 'records');

const shugai = (args: string[]) => shugaiAssess([...args, '--records', records]);

// "before" (40 points, no scene: no level) is validated in-process; "after" goes through the CLI.
const catalogue = loadCatalogue('2024');
const seeded = new RecordStore(records);
for (const id of ['before', 'draft']) {
  seeded.record(id, {
    stage: 'onsite',
    answers: fortyPoints(),
    report: buildReport(catalogue, fortyPoints(), null),
    assessor: '王评测',
  });
}
seeded.validate('before', '李审核');
const after = fortyPoints();
after.items['pass-rate'] = { options: ['increased'] };
for (const s of ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程']) after.scenes[s] = 2;
const answersFile = path.join(dir, 'after.yaml');
writeFileSync(answersFile, stringify(after));

describe('shugai assess record / validate / compare', () => {
  it('records, refuses validating a self-assessment, validates the on-site version', async () => {
    const self = await shugai(['record', '--answers', answersFile, '--stage', 'self', '--id', 'after']);
    expect([self.code, self.stderr]).toEqual([0, '']);
    expect(JSON.parse(self.stdout)).toMatchObject({
      id: 'after',
      version: 1,
      stage: 'self',
      level: 2,
      officialLevel: null,
    });

    const early = await shugai(['validate', '--id', 'after', '--by', '李审核']);
    expect([early.code, early.stderr.trim()]).toEqual([
      2,
      'shugai: assessment "after" version 1 is a self-assessment: record the on-site assessment before validating',
    ]);

    const onsite = await shugai([
      'record',
      '--answers',
      answersFile,
      '--stage',
      'onsite',
      '--id',
      'after',
      '--assessor',
      '王评测',
    ]);
    expect(JSON.parse(onsite.stdout)).toMatchObject({
      version: 2,
      stage: 'onsite',
      previous: { version: 1 },
    });

    const doc = path.join(dir, '检验记录.xlsx');
    writeFileSync(doc, 'pass rate sheet');
    const attached = await shugai([
      'attach',
      '--id',
      'after',
      '--item',
      'pass-rate',
      '--file',
      doc,
      '--description',
      '2024年月度检验台账',
      '--effective-date',
      '2024-12-31',
    ]);
    expect([attached.code, JSON.parse(attached.stdout).version]).toEqual([0, 2]);

    const validated = await shugai(['validate', '--id', 'after', '--by', '李审核']);
    expect(validated.code).toBe(0);
    expect(JSON.parse(validated.stdout)).toMatchObject({
      version: 2,
      stage: 'validated',
      score: '47',
      officialLevel: 2,
    });

    const html = await shugai([
      'report',
      '--id',
      'after',
      '--organisation',
      '浙江省某数字化评测中心',
      '--format',
      'html',
    ]);
    expect(html.stdout).toContain('<tr><th>评测机构</th><td>浙江省某数字化评测中心</td></tr>');
    expect(html.stdout).toContain(
      '<tr><th>评测阶段</th><td>审核确认；评测编号 after 第 2 版；正式等级: 二级</td></tr>',
    );
    expect(html.stdout).toMatch(
      /附件: 检验记录\.xlsx（2024年月度检验台账；生效日期 2024-12-31；上传于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间；sha256 [0-9a-f]{16}…）/,
    );

    const bad = await shugai(['record', '--answers', answersFile, '--stage', 'final']);
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      'shugai: --stage: expected self or onsite, got "final" (validation is `assess validate`)',
    ]);
  });

  it('compares before and after as JSON and as a PDF with radar, tables and signatures', async () => {
    const json = await shugai(['compare', '--before', 'before', '--after', 'after']);
    expect(json.code).toBe(0);
    const c = JSON.parse(json.stdout);
    expect([c.score, c.level]).toEqual([
      { before: '40', after: '47', delta: '7' },
      { before: null, after: 2, change: 2 },
    ]);
    expect(c.after).toMatchObject({ id: 'after', version: 2 });

    const pdf = path.join(dir, 'compare.pdf');
    const text = await pdfReport(shugai, ['compare', '--before', 'before@1', '--after', 'after'], pdf);
    const flat = text.replace(/\s+/g, '');
    expect(flat).toContain('评测前后对比');
    expect(flat).toContain('总分变化:+7分；等级变化:未达到一级→二级（+2）');
    expect(flat).toContain('月均产品合格率07+7');
    // The radar is inline SVG: its axis labels are text in the PDF.
    expect(flat).toContain('数字化经营0.75/4');
    expect(flat).toContain('数字化成效7/20');
    expect(flat).toContain('评测人员王评测');
    expect(flat).toContain('审核人员李审核');
    expect(flat).toContain('正式等级:二级');

    const draft = await shugai(['compare', '--before', 'draft', '--after', 'after']);
    expect([draft.code, draft.stderr.trim()]).toEqual([
      2,
      'shugai: --before: assessment "draft" has no validated version (name one as draft@N)',
    ]);
  });
});
