// Assessment records on the platform, on SQLite and on a real PostgreSQL: the enterprise's
// self-assessment, the assigned assessor's on-site assessment as a new version naming the previous
// one by hash, validation freezing it, a correction as a further version; attachments by content
// hash, their type checked by their bytes and their size bounded; a row changed behind the service's
// back is found.
import { expect, it } from 'vitest';
import type { Answers } from '../../../assessment/answers.ts';
import { fortyPoints } from '../../../assessment/fixtures.ts';
import { sha256 } from '../../../assessment/records/workflow.ts';
import { verifyAudit } from '../audit/log.ts';
import { ENTERPRISES, eachDatabase, seedWorld, type World } from '../testing.ts';

const answers = (name: string = ENTERPRISES.yongkang.name): Answers => ({
  ...fortyPoints(),
  enterprise: { name },
});
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

function multipart(fields: Record<string, string>, file: { name: string; type: string; content: Buffer }) {
  const boundary = 'shugai-test-boundary';
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: ${file.type}\r\n\r\n`;
  return {
    payload: Buffer.concat([
      Buffer.from(parts.join('') + head),
      file.content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const FIELDS = { item: 'network', description: '网络拓扑图', effectiveDate: '2025-03-01' };

eachDatabase((database) => {
  const world = async (options = {}) => seedWorld(await database.open(), options);
  const record = (w: World, who: string, body: Record<string, unknown>, enterprise = w.enterprise.yongkang) =>
    w.call(who, 'POST', `/api/v1/enterprises/${enterprise}/assessments`, body);

  it('runs self → on-site → validated → corrected, each version naming the previous by its hash', async () => {
    const w = await world();
    const self = await record(w, 'ent-yk', { stage: 'self', answers: answers() });
    expect(self.statusCode).toBe(200);
    const v1 = self.json();
    expect(v1).toMatchObject({
      version: 1,
      previous: null,
      stage: 'self',
      officialLevel: null,
      enterprise: { name: ENTERPRISES.yongkang.name },
    });
    expect(v1.id).toMatch(/^\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/);
    expect(v1.report.score).toBe('40');
    // A second self-assessment replaces the first while it is the latest.
    const again = await record(w, 'ent-yk', { assessment: v1.id, stage: 'self', answers: answers() });
    expect(again.json()).toMatchObject({ id: v1.id, version: 1 });

    const onsite = await record(w, 'assessor-1', { assessment: v1.id, stage: 'onsite', answers: answers() });
    const v2 = onsite.json();
    const row1 = await w.platform.db
      .selectFrom('assessment_records')
      .selectAll()
      .where('assessment_id', '=', v1.id)
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    expect(v2).toMatchObject({
      version: 2,
      stage: 'onsite',
      assessor: 'assessor-1',
      previous: { version: 1, sha256: sha256(row1.body) },
    });

    expect(
      (await record(w, 'ent-yk', { assessment: v1.id, stage: 'self', answers: answers() })).json(),
    ).toMatchObject({
      code: 'SHUGAI_RECORD_REFUSED',
      error: expect.stringContaining('a self-assessment cannot follow it'),
    });
    expect(
      (await record(w, 'ent-yk', { assessment: v1.id, stage: 'onsite', answers: answers() })).statusCode,
    ).toBe(403);
    expect(
      (await record(w, 'assessor-2', { assessment: v1.id, stage: 'onsite', answers: answers() })).statusCode,
    ).toBe(404);

    const validate = (who: string) => w.call(who, 'POST', `/api/v1/assessments/${v1.id}/validate`);
    expect((await validate('ent-yk')).statusCode).toBe(403);
    expect((await validate('assessor-2')).statusCode).toBe(404);
    const validated = (await validate('assessor-1')).json();
    expect(validated).toMatchObject({
      version: 2,
      stage: 'validated',
      officialLevel: v2.report.level,
      validation: { by: 'assessor-1' },
    });
    expect((await validate('assessor-1')).statusCode).toBe(409);

    const frozen = await w.platform.db
      .selectFrom('assessment_records')
      .select('body')
      .where('assessment_id', '=', v1.id)
      .where('version', '=', 2)
      .executeTakeFirstOrThrow();
    const correction = (
      await record(w, 'assessor-1', { assessment: v1.id, stage: 'onsite', answers: answers() })
    ).json();
    expect(correction).toMatchObject({
      version: 3,
      stage: 'onsite',
      officialLevel: null,
      previous: { version: 2, sha256: sha256(frozen.body) },
    });
    const still = await w.platform.db
      .selectFrom('assessment_records')
      .select('body')
      .where('assessment_id', '=', v1.id)
      .where('version', '=', 2)
      .executeTakeFirstOrThrow();
    expect(still.body).toBe(frozen.body);

    const list = await w.call(
      'officer-yk',
      'GET',
      `/api/v1/enterprises/${w.enterprise.yongkang}/assessments`,
    );
    expect(list.json().map((r: { version: number; stage: string }) => [r.version, r.stage])).toEqual([
      [1, 'self'],
      [2, 'validated'],
      [3, 'onsite'],
    ]);
    const version2 = await w.call('ent-yk', 'GET', `/api/v1/assessments/${v1.id}?version=2`);
    expect(version2.json()).toEqual(validated);
    expect((await w.call('ent-hb', 'GET', `/api/v1/assessments/${v1.id}`)).statusCode).toBe(404);
    expect((await w.call('officer-hb', 'GET', `/api/v1/assessments/${v1.id}`)).statusCode).toBe(404);

    const audited = await w.platform.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'entity_id'])
      .where('entity', '=', 'assessment')
      .orderBy('seq')
      .execute();
    expect(audited.map((a) => [a.actor, a.action, a.entity_id])).toEqual([
      ['account:ent-yk', 'assessment.self', `${v1.id}@1`],
      ['account:ent-yk', 'assessment.self', `${v1.id}@1`],
      ['account:assessor-1', 'assessment.onsite', `${v1.id}@2`],
      ['account:assessor-1', 'assessment.validated', `${v1.id}@2`],
      ['account:assessor-1', 'assessment.onsite', `${v1.id}@3`],
    ]);
    expect(await verifyAudit(w.platform.db)).toMatchObject({ ok: true });
  });

  it('refuses answers of another enterprise and answers that do not check', async () => {
    const w = await world();
    const other = await record(w, 'ent-yk', { stage: 'self', answers: answers(ENTERPRISES.hebi.name) });
    expect(other.json()).toEqual({
      error: `the answers are of ${ENTERPRISES.hebi.name}, this enterprise is ${ENTERPRISES.yongkang.name}`,
      code: 'BAD_REQUEST',
    });
    const code = await record(w, 'ent-yk', {
      stage: 'self',
      answers: {
        ...answers(),
        enterprise: { name: ENTERPRISES.yongkang.name, creditCode: ENTERPRISES.hebi.uscc },
      },
    });
    expect(code.statusCode).toBe(400);
    const incomplete = answers();
    delete incomplete.items.network;
    const bad = await record(w, 'ent-yk', { stage: 'self', answers: incomplete });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'SHUGAI_ANSWERS_INVALID',
      error: expect.stringContaining('answers posted: '),
    });
    expect((await record(w, 'ent-yk', { stage: 'validated', answers: answers() })).statusCode).toBe(400);
  });

  it('keeps attachments once by content hash, checks their type by their bytes and bounds their size', async () => {
    const w = await world({ maxUploadBytes: 4096 });
    const { id } = (await record(w, 'ent-yk', { stage: 'self', answers: answers() })).json();
    const attach = (
      who: string,
      file: { name: string; type: string; content: Buffer },
      fields: Record<string, string> = FIELDS,
    ) => {
      const form = multipart(fields, file);
      return w.app.inject({
        method: 'POST',
        url: `/api/v1/assessments/${id}/attachments`,
        headers: { ...w.as(who), ...form.headers },
        payload: form.payload,
      });
    };
    const pdf = { name: '拓扑.pdf', type: 'application/pdf', content: PDF };
    const attached = await attach('ent-yk', pdf);
    expect(attached.statusCode).toBe(200);
    expect(attached.json().attachments).toEqual([
      {
        item: 'network',
        file: '拓扑.pdf',
        sha256: sha256(PDF),
        description: '网络拓扑图',
        effectiveDate: '2025-03-01',
        uploadedAt: expect.any(String),
      },
    ]);
    expect((await attach('assessor-1', pdf)).statusCode).toBe(200);
    const stored = await w.platform.db
      .selectFrom('attachments')
      .select(['sha256', 'size', 'media_type'])
      .execute();
    expect(stored).toEqual([{ sha256: sha256(PDF), size: PDF.length, media_type: 'application/pdf' }]);

    const download = await w.call(
      'officer-yk',
      'GET',
      `/api/v1/assessments/${id}/attachments/${sha256(PDF)}`,
    );
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.rawPayload.equals(PDF)).toBe(true);
    expect(
      (await w.call('ent-hb', 'GET', `/api/v1/assessments/${id}/attachments/${sha256(PDF)}`)).statusCode,
    ).toBe(404);
    expect(
      (await w.call('ent-yk', 'GET', `/api/v1/assessments/${id}/attachments/${'0'.repeat(64)}`)).statusCode,
    ).toBe(404);

    const exe = await attach('ent-yk', {
      name: 'a.pdf',
      type: 'application/pdf',
      content: Buffer.from('MZ\x90\x00 not a pdf'),
    });
    expect(exe.statusCode).toBe(415);
    expect(exe.json()).toEqual({
      error: 'the content is not application/pdf: its first bytes do not match the type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    const html = await attach('ent-yk', {
      name: 'a.html',
      type: 'text/html',
      content: Buffer.from('<script>'),
    });
    expect(html.statusCode).toBe(415);
    const big = await attach('ent-yk', {
      name: 'big.pdf',
      type: 'application/pdf',
      content: Buffer.concat([PDF, Buffer.alloc(5000, 32)]),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect((await attach('ent-yk', pdf, { item: 'network', description: 'x' })).json()).toEqual({
      error: 'the form field effectiveDate is required (before the file part)',
      code: 'BAD_REQUEST',
    });
    expect((await attach('ent-yk', pdf, { ...FIELDS, item: 'nothing' })).statusCode).toBe(409);
    expect((await attach('provider-1', pdf)).statusCode).toBe(403);
    const json = await w.call('ent-yk', 'POST', `/api/v1/assessments/${id}/attachments`, { file: 'x' });
    expect(json.statusCode).toBe(415);
  });

  it("finds a record changed behind the service's back", async () => {
    const w = await world();
    const { id } = (await record(w, 'ent-yk', { stage: 'self', answers: answers() })).json();
    await record(w, 'assessor-1', { assessment: id, stage: 'onsite', answers: answers() });
    const row = await w.platform.db
      .selectFrom('assessment_records')
      .select('body')
      .where('assessment_id', '=', id)
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    const edited = row.body.replace('"officialLevel": null', '"officialLevel": 4');
    await w.platform.db
      .updateTable('assessment_records')
      .set({ body: edited, sha256: sha256(edited) })
      .where('assessment_id', '=', id)
      .where('version', '=', 1)
      .execute();
    const response = await w.call('officer-yk', 'GET', `/api/v1/assessments/${id}`);
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({
      code: 'SHUGAI_RECORD_CORRUPT',
      error: expect.stringContaining('its previous version 1 has sha256'),
    });
  });
});
