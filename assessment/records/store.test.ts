/**
 * The record store on disk: stage transitions allowed and refused, a validated record immutable
 * (a changed answers file makes a new version naming the old one by hash; the old file stays byte
 * for byte), attachments kept by sha256 with their effective date apart from the upload time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Answers } from '../answers.ts';
import { loadCatalogue } from '../catalogue/load.ts';
import { fortyPoints } from '../fixtures.ts';
import { buildReport } from '../report.ts';
import { RecordStore, sha256 } from './store.ts';

const catalogue = loadCatalogue('2024');
const root = mkdtempSync(path.join(tmpdir(), 'shugai-records-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function store() {
  let t = Date.parse('2025-03-01T02:00:00Z');
  // A clock that moves one minute per call: every time in a record is predictable.
  return new RecordStore(path.join(root, `s${n++}`), () => {
    t += 60_000;
    return new Date(t);
  });
}
const input = (answers: Answers, stage: 'self' | 'onsite') => ({
  stage,
  answers,
  report: buildReport(catalogue, answers, null),
  ...(stage === 'onsite' ? { assessor: '王评测' } : {}),
});
const levelTwo = () => {
  const a = fortyPoints();
  for (const s of ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程']) a.scenes[s] = 2;
  return a;
};

describe('RecordStore workflow', () => {
  it('goes self → onsite → validated, keeping the self-assessment as version 1', () => {
    const s = store();
    const self = s.record('acme', input(levelTwo(), 'self'));
    expect([self.version, self.stage, self.previous, self.officialLevel, self.report.level]).toEqual([
      1,
      'self',
      null,
      null,
      2,
    ]);
    // Updating the self-assessment rewrites version 1; it is not validated.
    expect(s.record('acme', input(levelTwo(), 'self')).version).toBe(1);
    const v1 = readFileSync(s.fileOf('acme', 1));
    const onsite = s.record('acme', input(levelTwo(), 'onsite'));
    expect([onsite.version, onsite.stage, onsite.assessor]).toEqual([2, 'onsite', '王评测']);
    expect(onsite.previous).toEqual({ version: 1, sha256: sha256(v1) });
    const validated = s.validate('acme', '李审核');
    expect([validated.version, validated.stage, validated.officialLevel]).toEqual([2, 'validated', 2]);
    expect(validated.validation).toEqual({ by: '李审核', at: '2025-03-01T02:04:00.000Z' });
    expect(s.get('acme')).toEqual(validated);
    expect(s.versions('acme')).toEqual([1, 2]);
  });

  it('refuses a self-assessment after on-site, validating a self-assessment, and validating twice', () => {
    const s = store();
    s.record('acme', input(levelTwo(), 'self'));
    expect(() => s.validate('acme', '李审核')).toThrow(
      'assessment "acme" version 1 is a self-assessment: record the on-site assessment before validating',
    );
    s.record('acme', input(levelTwo(), 'onsite'));
    expect(() => s.record('acme', input(levelTwo(), 'self'))).toThrow(
      'assessment "acme" version 2 is 现场评测 (onsite): a self-assessment cannot follow it',
    );
    s.validate('acme', '李审核');
    expect(() => s.validate('acme', '赵')).toThrow(/version 2 is already validated by 李审核 at /);
    expect(() => s.record('acme', { ...input(levelTwo(), 'onsite'), assessor: '' })).toThrow(
      'an on-site assessment names its assessor',
    );
    const other = { ...levelTwo(), enterprise: { name: '别的公司' } };
    expect(() => s.record('acme', input(other, 'onsite'))).toThrow(
      'assessment "acme" version 2 is of 永康某保温杯有限公司, the answers of 别的公司',
    );
    expect(() => s.get('../etc')).toThrow(`assessment id "../etc": letters, digits, '.', '_' and '-' only`);
    expect(() => s.get('nobody')).toThrow(`no assessment "nobody" in ${s.dir}`);
  });

  it('keeps a validated record byte for byte: changed answers make version 2 naming version 1', () => {
    const s = store();
    s.record('acme', input(levelTwo(), 'onsite'));
    s.validate('acme', '李审核');
    const before = readFileSync(s.fileOf('acme', 1));
    const changed = levelTwo();
    changed.items.talent = { options: ['training'] };
    const v2 = s.record('acme', input(changed, 'onsite'));
    expect([v2.version, v2.stage, v2.officialLevel, v2.validation]).toEqual([2, 'onsite', null, undefined]);
    expect(v2.previous).toEqual({ version: 1, sha256: sha256(before) });
    expect(readFileSync(s.fileOf('acme', 1)).equals(before)).toBe(true);
    expect(s.get('acme', 1).officialLevel).toBe(2);
    // The low-level write refuses too: replacing a validated version directly.
    const write = (s as unknown as { write: (step: unknown) => unknown }).write.bind(s);
    expect(() => write({ record: { ...s.get('acme', 1), assessor: 'x' }, mode: 'replace' })).toThrow(
      /version 1 was validated by 李审核 at .* and cannot be changed: record the correction as a new version/,
    );
    expect(readFileSync(s.fileOf('acme', 1)).equals(before)).toBe(true);
  });

  it('finds a tampered predecessor through the hash chain', () => {
    const s = store();
    s.record('acme', input(levelTwo(), 'self'));
    s.record('acme', input(levelTwo(), 'onsite'));
    const file = s.fileOf('acme', 1);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"self"', '"self" '));
    expect(() => s.get('acme')).toThrow(
      /acme\.v2\.json: its previous version 1 has sha256 [0-9a-f]{64}, the record names/,
    );
  });
});

describe('RecordStore attachments', () => {
  it('records the sha256 of the content, the effective date apart from the upload time, and keeps the file', () => {
    const s = store();
    s.record('acme', input(levelTwo(), 'onsite'));
    const doc = path.join(root, '网络拓扑图.pdf');
    writeFileSync(doc, 'topology v1');
    const r = s.attach('acme', {
      item: 'network',
      file: doc,
      description: '工业控制网络拓扑',
      effectiveDate: '2024-06-30',
    });
    expect(r.version).toBe(1);
    expect(r.attachments).toEqual([
      {
        item: 'network',
        file: '网络拓扑图.pdf',
        sha256: sha256('topology v1'),
        description: '工业控制网络拓扑',
        effectiveDate: '2024-06-30',
        uploadedAt: '2025-03-01T02:02:00.000Z',
      },
    ]);
    expect(readFileSync(path.join(s.dir, 'attachments', sha256('topology v1')), 'utf8')).toBe('topology v1');
    expect(() =>
      s.attach('acme', { item: 'chess', file: doc, description: 'x', effectiveDate: '2024-06-30' }),
    ).toThrow('item "chess": no such item in edition 2024');
    expect(() =>
      s.attach('acme', { item: 'network', file: doc, description: 'x', effectiveDate: '2024-13-01' }),
    ).toThrow(/attachment: effectiveDate: /);
    // On a validated record an attachment is a correction: a new on-site version, unsigned.
    s.validate('acme', '李审核');
    const after = s.attach('acme', {
      item: 'talent',
      file: doc,
      description: '培训记录',
      effectiveDate: '2024-09-01',
    });
    expect([after.version, after.stage, after.officialLevel, after.attachments.length]).toEqual([
      2,
      'onsite',
      null,
      2,
    ]);
    expect(s.get('acme', 1).attachments).toHaveLength(1);
  });
});

describe('RecordStore reading back', () => {
  it('refuses a record file with a key twice as corrupt, naming the line (JSON.parse would keep the last)', () => {
    const s = store();
    s.record('acme', input(levelTwo(), 'self'));
    const file = s.fileOf('acme', 1);
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('  "stage": '));
    // A second stage, as an edit by hand would add it: the record would read as validated.
    lines.splice(at + 1, 0, '  "stage": "validated",');
    writeFileSync(file, lines.join('\n'));
    expect(() => s.get('acme')).toThrow(
      expect.objectContaining({
        code: 'SHUGAI_RECORD_CORRUPT',
        message: `${file}:${at + 2} stage: duplicate key`,
      }),
    );
  });
});
