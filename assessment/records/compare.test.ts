/**
 * Before/after of two validated assessments: exact deltas per item, dimension and scene, the level
 * change from no level to level 2; refused across editions, for an unvalidated record, across
 * enterprises.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Answers } from '../answers.ts';
import { loadCatalogue } from '../catalogue/load.ts';
import { fortyPoints } from '../fixtures.ts';
import { buildReport } from '../report.ts';
import { compareRecords } from './compare.ts';
import { RecordStore } from './store.ts';

const catalogue = loadCatalogue('2024');
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new RecordStore(dir);

function validated(id: string, answers: Answers) {
  store.record(id, {
    stage: 'onsite',
    answers,
    report: buildReport(catalogue, answers, null),
    assessor: '王评测',
  });
  return store.validate(id, '李审核');
}

/** Before: 40 points, no scene rated: no level. After: +3 talent, +7 pass rate, six scenes at 2, one at 3. */
const before = validated('before', fortyPoints());
const afterAnswers = fortyPoints();
afterAnswers.items.talent = { options: ['staff', 'training'] };
afterAnswers.items['pass-rate'] = { options: ['increased'] };
for (const s of ['产品设计', '营销管理', '工艺设计', '售后服务', '计划排程']) afterAnswers.scenes[s] = 2;
afterAnswers.scenes.生产管控 = 3;
const after = validated('after', afterAnswers);

describe('compareRecords', () => {
  it('gives exact deltas per item, dimension and scene, and the level change', () => {
    const c = compareRecords(before, after);
    expect(c.score).toEqual({ before: '40', after: '50', delta: '10' });
    expect(c.level).toEqual({ before: null, after: 2, change: 2 });
    expect(c.dimensions.map((d) => [d.id, d.before, d.after, d.delta])).toEqual([
      ['foundation', '40', '40', '0'],
      ['management', '0', '3', '3'],
      ['results', '0', '7', '7'],
    ]);
    expect(
      c.items.filter((i) => i.delta !== '0').map((i) => [i.id, i.before, i.after, i.delta, i.dimension]),
    ).toEqual([
      ['talent', '0', '3', '3', 'management'],
      ['pass-rate', '0', '7', '7', 'results'],
    ]);
    expect(c.items).toHaveLength(15);
    expect(c.scenes.filter((s) => s.change !== 0).map((s) => [s.name, s.before, s.after, s.change])).toEqual([
      ['产品设计', 0, 2, 2],
      ['工艺设计', 0, 2, 2],
      ['营销管理', 0, 2, 2],
      ['售后服务', 0, 2, 2],
      ['计划排程', 0, 2, 2],
      ['生产管控', 0, 3, 3],
    ]);
    expect([c.before.id, c.before.validatedBy, c.after.id, c.after.version]).toEqual([
      'before',
      '李审核',
      'after',
      1,
    ]);
    // The other way round the deltas turn negative.
    expect(compareRecords(after, before).score.delta).toBe('-10');
  });

  it('refuses across editions, an unvalidated record, and two enterprises', () => {
    expect(() => compareRecords({ ...before, edition: '2022' }, after)).toThrow(
      'assessment "before" version 1 is of edition 2022, assessment "after" version 1 of edition 2024: only assessments of the same edition are compared',
    );
    const draft = store.record('draft', {
      stage: 'self',
      answers: fortyPoints(),
      report: buildReport(catalogue, fortyPoints(), null),
    });
    expect(() => compareRecords(draft, after)).toThrow(
      'assessment "draft" version 1 is not validated (stage self): only validated assessments are compared',
    );
    expect(() => compareRecords(before, { ...after, enterprise: { name: '别的公司' } })).toThrow(
      'assessment "before" version 1 is of 永康某保温杯有限公司, assessment "after" version 1 of 别的公司: not the same enterprise',
    );
  });
});
