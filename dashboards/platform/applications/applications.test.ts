// Applications on SQLite and a real PostgreSQL: an application built from the file, its verification
// (levels, integrity of a real signed embedded store against the service's own attestation copy,
// payout exact to the fen), 初审 and 复审 by two different officers, the export, and every refusal:
// wrong role, wrong region, wrong state, same officer, no verification, not payable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { expect, it } from 'vitest';
import { EmbeddedStore } from '../../../gateway/sinks/embedded/store.ts';
import { goodSample } from '../../../gateway/sinks/testing.ts';
import { accountByName, principalOf } from '../accounts/repository.ts';
import { verifyAudit } from '../audit/log.ts';
import type { AccountTable } from '../db/schema.ts';
import { eachDatabase, runShugai, seedWorld, type World } from '../testing.ts';
import { type VerifyOptions, verifyApplication } from '../verifications/compute.ts';
import { addOfficer, DATA_FROM, ok, readyToApply, type SignedStore, signedStore } from './testing.ts';

const MEASURE = 'yongkang.nx-renovation';
const NOW = Date.parse('2026-01-02T10:00:00+08:00');

eachDatabase((database) => {
  let clock = NOW;
  const world = async () => seedWorld(await database.open(), { now: () => clock });

  async function applied(w: World, store?: SignedStore) {
    const s = store ?? (await signedStore('yk-gw01'));
    const { before, after } = await readyToApply(w, s);
    const body = { measure: MEASURE, assessmentBefore: before, assessmentAfter: after, aboveScale: true };
    const submit = await w.call(
      'ent-yk',
      'POST',
      `/api/v1/enterprises/${w.enterprise.yongkang}/applications`,
      body,
    );
    expect(submit.statusCode).toBe(201);
    return { store: s, body, application: submit.json() as { id: string } };
  }

  it('verifies an application from the file: levels, integrity against the own copy, payout exact to the fen', async () => {
    clock = NOW;
    const w = await world();
    const { application, body, store } = await applied(w);
    expect(application).toMatchObject({
      measure: MEASURE,
      state: 'submitted',
      submittedBy: 'ent-yk',
      batch: 1,
      aboveScale: true,
      verification: null,
      decisions: [],
    });
    // A parameter the measure does not read, or a value that is no rate: 400 with the reason, nothing stored.
    const url = `/api/v1/applications/${application.id}/verifications`;
    expect(
      (await w.call('officer-yk', 'POST', url, { params: { 'guangzhou.renovationRate': '0.30' } })).json(),
    ).toEqual({
      code: 'BAD_PARAMETER',
      error: `guangzhou.renovationRate is not a parameter of ${MEASURE}; it reads yongkang.generalItProjectRate`,
    });
    const badRate = await w.call('officer-yk', 'POST', url, {
      params: { 'yongkang.generalItProjectRate': '三成' },
    });
    expect([badRate.statusCode, badRate.json()]).toEqual([
      400,
      {
        code: 'BAD_PARAMETER',
        error: '--param yongkang.generalItProjectRate=三成: "三成" is not a rate (write 0.15 or 15%)',
      },
    ]);
    expect(
      (await w.call('officer-yk', 'GET', `/api/v1/applications/${application.id}`)).json(),
    ).toMatchObject({ verification: null });
    const verify = await w.call('officer-yk', 'POST', url, {});
    expect(verify.statusCode).toBe(201);
    const v = verify.json();
    expect(v.levels).toMatchObject({
      edition: '2024',
      before: { id: body.assessmentBefore },
      after: { id: body.assessmentAfter },
    });
    expect(v.integrity).toMatchObject({
      // The window ends one slice before the newest attestation the copy holds, not at the verification.
      window: {
        from: '2025-12-31T16:00:00.000Z',
        to: new Date(Math.max(...store.items.map((i) => i.stamp)) - 10_000).toISOString(),
      },
      clean: true,
      gateways: [
        {
          gateway: 'yk-gw01',
          clean: true,
          attestations: { valid: 60, firstSeq: 1, lastSeq: 60, source: 'central' },
        },
      ],
    });
    expect(v.evidence).toEqual([
      { gateway: 'yk-gw01', unavailable: 'no gateway config on file: its devices and tags are unknown' },
    ]);
    // 300000.00 + 149999.99 + 0.01 = 450000.00, all of it at 40% (二(一)4): 180000.00.
    expect(v.payout).toMatchObject({
      measure: MEASURE,
      eligible: true,
      amount: '180000.00',
      case: {
        asOf: '2026-01-02',
        enterprise: {
          name: '永康某保温杯有限公司',
          region: '永康市',
          industry: '3382',
          aboveScale: true,
          sme: true,
        },
        investment: { total: '450000.00' },
        batch: 1,
        priorPayouts: [],
      },
    });
    expect(v.payout.explanation).toContain('永政办发〔2023〕40号');
    expect(v.payout.explanation).toContain('180000.00');
    const read = await w.call('ent-yk', 'GET', `/api/v1/verifications/${v.id}`);
    expect(read.json()).toEqual(v);
    expect((await w.call('officer-hb', 'GET', `/api/v1/verifications/${v.id}`)).statusCode).toBe(404);
  });

  it('needs 初审 then 复审 by two different officers of the region, each with its reason; exports the approved payout', {
    timeout: 120_000,
  }, async () => {
    clock = NOW;
    const w = await world();
    const second = await addOfficer(w, 'officer-yk2', '330784');
    const { application } = await applied(w);
    const url = `/api/v1/applications/${application.id}`;
    const decide = (
      who: string | { authorization: string },
      step: string,
      outcome: string,
      reason = '材料齐全',
    ) =>
      typeof who === 'string'
        ? w.call(who, 'POST', `${url}/${step}`, { outcome, reason })
        : w.app.inject({ method: 'POST', url: `${url}/${step}`, headers: who, payload: { outcome, reason } });

    expect((await decide('officer-yk', 'first-review', 'approve')).json()).toMatchObject({
      code: 'NOT_VERIFIED',
    });
    clock += 1000;
    expect((await w.call('officer-yk', 'POST', `${url}/verifications`, {})).statusCode).toBe(201);
    clock += 1000;
    const again = await w.call('officer-yk', 'POST', `${url}/verifications`, {});
    expect(again.statusCode).toBe(201);
    expect((await decide('officer-yk', 'second-review', 'approve')).json()).toMatchObject({
      code: 'WRONG_STATE',
    });
    expect((await decide('officer-yk', 'first-review', 'approve', '   ')).statusCode).toBe(400);
    expect((await decide('ent-yk', 'first-review', 'approve')).json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await decide('assessor-1', 'first-review', 'approve')).json()).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await decide('officer-hb', 'first-review', 'approve')).json()).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await decide('provider-2', 'first-review', 'approve')).statusCode).toBe(404);

    clock += 1000;
    const first = await decide('officer-yk', 'first-review', 'approve', '投入与台账相符');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      state: 'first-approved',
      decisions: [{ step: 'first', outcome: 'approve', officer: 'officer-yk', reason: '投入与台账相符' }],
    });
    const same = await decide('officer-yk', 'second-review', 'approve');
    expect(same.statusCode).toBe(409);
    expect(same.json()).toEqual({
      code: 'SAME_OFFICER',
      error: `officer-yk made the 初审 of application ${application.id}; the 复审 needs another officer`,
    });
    clock += 1000;
    const done = await decide(second, 'second-review', 'approve', '复核无误');
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      state: 'approved',
      verification: { amount: '180000.00', eligible: true, clean: true },
    });
    expect((await decide(second, 'second-review', 'reject')).json()).toMatchObject({ code: 'WRONG_STATE' });
    // The list reads every row's latest verification and decisions at once: each row as its own view.
    const listed = (await w.call('officer-yk', 'GET', '/api/v1/applications')).json() as { id: string }[];
    expect(listed).toEqual([done.json()]);
    expect(done.json()).toMatchObject({
      verification: { id: (again.json() as { id: string }).id },
      decisions: [
        { step: 'first', officer: 'officer-yk', reason: '投入与台账相符' },
        { step: 'second', officer: 'officer-yk2', reason: '复核无误' },
      ],
    });

    // Export: CSV text exact, XLSX read back, JSON with exact totals.
    const csv = await w.call('officer-yk', 'GET', '/api/v1/payouts?batch=1&format=csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe(
      '\uFEFF申请编号,企业名称,统一社会信用代码,行政区划,批次,政策措施,文件,条款,补助金额(元),中央,省级,市级,区县级,未分级,初审,复审,批准日期\r\n' +
        `${application.id},永康某保温杯有限公司,91330100716105852F,330784,1,${MEASURE},永政办发〔2023〕40号,二(一),180000.00,,,,,180000.00,officer-yk,officer-yk2,2026-01-02\r\n` +
        '合计,1 家,,,,,,,180000.00,,,,,180000.00,,,\r\n',
    );
    const xlsx = await w.call('officer-yk', 'GET', '/api/v1/payouts?batch=1&format=xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.name).toBe('第1批补助');
    expect(sheet.getRow(2).getCell(1).value).toBe(application.id);
    expect(Number(sheet.getRow(2).getCell(9).value).toFixed(2)).toBe('180000.00');
    expect(sheet.getRow(3).getCell(1).value).toBe('合计');
    expect(Number(sheet.getRow(3).getCell(14).value).toFixed(2)).toBe('180000.00');
    // The operator's command gives the same file (as admin: every region).
    const target = (w.platform as unknown as { target: string }).target;
    const cli = await runShugai(['export', 'payouts', '--batch', '1', '--format', 'csv', '--db', target]);
    expect(cli).toMatchObject({ status: 0, stdout: csv.body });
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'shugai-export-')), 'payouts.xlsx');
    expect(
      (
        await runShugai([
          'export',
          'payouts',
          '--batch',
          '1',
          '--format',
          'xlsx',
          '--out',
          out,
          '--db',
          target,
        ])
      ).status,
    ).toBe(0);
    const fromCli = new ExcelJS.Workbook();
    await fromCli.xlsx.readFile(out);
    expect(fromCli.worksheets[0]!.getRow(2).getCell(2).value).toBe('永康某保温杯有限公司');
    expect(
      await runShugai(['export', 'payouts', '--batch', '1', '--format', 'xlsx', '--db', target]),
    ).toMatchObject({ status: 2 });
    const rows = await w.call('officer-yk', 'GET', '/api/v1/payouts?batch=1');
    expect(rows.json()).toMatchObject({ batch: 1, totals: { amount: '180000.00', unsplit: '180000.00' } });
    expect((await w.call('officer-hb', 'GET', '/api/v1/payouts?batch=1')).json()).toMatchObject({
      rows: [],
      totals: { amount: '0.00' },
    });
    expect((await w.call('ent-yk', 'GET', '/api/v1/payouts?batch=1')).json()).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await w.call('officer-yk', 'GET', '/api/v1/payouts?batch=x')).statusCode).toBe(400);

    const audit = await w.platform.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity', '=', 'application')
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'application.submit',
      'application.verify',
      'application.verify',
      'application.first-review',
      'application.second-review',
    ]);
    expect(await verifyAudit(w.platform.db)).toMatchObject({ ok: true });
  });

  it('refuses what the file does not support, a second open application, and other roles and regions', async () => {
    clock = NOW;
    const w = await world();
    const { application, body } = await applied(w);
    const post = (who: string, payload: object, enterprise = w.enterprise.yongkang) =>
      w.call(who, 'POST', `/api/v1/enterprises/${enterprise}/applications`, payload);
    expect((await post('ent-yk', body)).json()).toEqual({
      code: 'CONFLICT',
      error: `application ${application.id} under ${MEASURE} is still open for this enterprise`,
    });
    expect((await post('ent-yk', { ...body, measure: 'nowhere.nothing' })).json()).toMatchObject({
      code: 'BAD_REQUEST',
      error: 'measure nowhere.nothing: no such measure in policies/ (see shugai policy list)',
    });
    expect(
      (await post('ent-yk', { ...body, measure: 'yongkang.light-saas', assessmentAfter: 'nope' })).json(),
    ).toMatchObject({
      error: 'assessment after: nope is not an assessment of this enterprise',
    });
    expect((await post('ent-yk', { ...body, amount: '1.00' })).statusCode).toBe(400);
    expect((await post('officer-yk', body)).json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await post('ent-hb', body)).statusCode).toBe(404);
    expect((await post('provider-2', body)).statusCode).toBe(404);
    expect(
      (await w.call('ent-yk', 'POST', `/api/v1/applications/${application.id}/verifications`, {})).json(),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      (await w.call('officer-hb', 'POST', `/api/v1/applications/${application.id}/verifications`, {}))
        .statusCode,
    ).toBe(404);
    expect((await w.call('officer-hb', 'GET', `/api/v1/applications/${application.id}`)).statusCode).toBe(
      404,
    );
    expect((await w.call('ent-hb', 'GET', '/api/v1/applications')).json()).toEqual([]);
    expect((await w.call('provider-1', 'GET', '/api/v1/applications')).json()).toHaveLength(1);
    expect(
      (await w.call('ent-yk', 'GET', `/api/v1/enterprises/${w.enterprise.yongkang}/applications`)).json(),
    ).toHaveLength(1);
    expect(
      (await w.call('ent-hb', 'GET', `/api/v1/enterprises/${w.enterprise.yongkang}/applications`)).statusCode,
    ).toBe(404);
    // A store path the service is given must look like a store.
    const store = await w.call(
      'provider-1',
      'PUT',
      `/api/v1/enterprises/${w.enterprise.yongkang}/gateways/yk-gw01/store`,
      { store: 'ftp://x' },
    );
    expect(store.statusCode).toBe(400);
    expect(
      (
        await w.call('ent-yk', 'PUT', `/api/v1/enterprises/${w.enterprise.yongkang}/gateways/yk-gw01/store`, {
          store: '/x/samples.db',
        })
      ).json(),
    ).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('returns an application for correction, refuses to approve what is not payable, and finds a tampered store', async () => {
    clock = NOW;
    const w = await world();
    const second = await addOfficer(w, 'officer-yk2', '330784');
    const { application, body, store } = await applied(w);
    const url = `/api/v1/applications/${application.id}`;
    clock += 1000;
    await w.call('officer-yk', 'POST', `${url}/verifications`, {});
    clock += 1000;
    const back = await w.call('officer-yk', 'POST', `${url}/first-review`, {
      outcome: 'return',
      reason: '缺少验收报告',
    });
    expect(back.json()).toMatchObject({
      state: 'returned',
      decisions: [{ outcome: 'return', reason: '缺少验收报告' }],
    });
    expect(
      (await w.call('officer-yk', 'POST', `${url}/first-review`, { outcome: 'approve', reason: 'x' })).json(),
    ).toMatchObject({ code: 'WRONG_STATE' });
    clock += 1000;
    // Declared 规下 now: 二(一)1 needs 规上, so the payout is not eligible and cannot be approved.
    const again = await w.call('ent-yk', 'POST', `${url}/resubmit`, { ...body, aboveScale: false });
    expect(again.json()).toMatchObject({ state: 'submitted', aboveScale: false });
    expect(
      (await w.call('officer-yk', 'POST', `${url}/first-review`, { outcome: 'approve', reason: 'x' })).json(),
    ).toMatchObject({ code: 'NOT_VERIFIED' });
    clock += 1000;
    const v = (await w.call('officer-yk', 'POST', `${url}/verifications`, {})).json();
    expect(v.payout).toMatchObject({ eligible: false, amount: '0.00' });
    expect(
      (await w.call('officer-yk', 'POST', `${url}/first-review`, { outcome: 'approve', reason: 'x' })).json(),
    ).toMatchObject({ code: 'NOT_PAYABLE' });
    const rejected = await w.app.inject({
      method: 'POST',
      url: `${url}/first-review`,
      headers: second,
      payload: { outcome: 'reject', reason: '非规上企业' },
    });
    expect(rejected.json()).toMatchObject({ state: 'rejected' });

    // One value changed in the factory's store: the next verification is not clean.
    const file = new Database(store.file);
    expect(
      file
        .prepare("UPDATE samples SET value = 9999 WHERE device = 'press-01' AND tag = 'speed' AND ts = ?")
        .run(DATA_FROM + 60_000).changes,
    ).toBe(1);
    file.close();
    clock += 1000;
    const tampered = (await w.call('officer-yk', 'POST', `${url}/verifications`, {})).json();
    expect(tampered.integrity.clean).toBe(false);
    expect(tampered.integrity.gateways[0].findingCounts).not.toEqual({});
  });

  /** An application of 永康 on this store, verified by its officer: the verification. */
  async function verifiedOn(store: SignedStore) {
    clock = NOW;
    const w = await world();
    const { application } = await applied(w, store);
    return (
      await w.call('officer-yk', 'POST', `/api/v1/applications/${application.id}/verifications`, {})
    ).json();
  }

  it("ends the window one slice before the newest attestation the copy holds: a live gateway's newest points wait for theirs", async () => {
    const store = await signedStore('yk-gw01');
    // A live gateway: points already in its store whose attestation has not reached the service.
    const newest = Math.max(...store.items.map((i) => i.stamp));
    const live = new EmbeddedStore('embedded', store.file);
    await live.write([goodSample('press-01', 'speed', 'number', 1234.5, newest + 500, 20)]);
    await live.close();
    const v = await verifiedOn(store);
    expect(v.integrity.window.to).toBe(new Date(newest - 10_000).toISOString());
    expect(v.integrity.gateways[0]).toMatchObject({ clean: true, findingCounts: {} });
    expect(v.integrity.clean).toBe(true);
  });

  it("ends the window where the store's own attestations end when its sink is behind the central one: attested points still on their way are not judged", async () => {
    // A live gateway whose central sink delivered its two newest attestations, and whose store's sink
    // has not yet written their batches. Each attestation comes 10.5 s after its batch's points (a
    // slice is sealed at the first write after its 10 s): a slice's points start before its
    // attestation's stamp less one slice.
    const v = await verifiedOn(await signedStore('yk-gw01', 10, { sealAfterMs: 10_500, undelivered: 2 }));
    // The store's newest attestation is the 58th (of batch 57, at DATA_FROM + 570 s, stamped 10.5 s later).
    expect(v.integrity.window.to).toBe(new Date(DATA_FROM + 570_000 + 10_500 - 10_000).toISOString());
    expect(v.integrity.gateways[0]).toMatchObject({
      clean: true,
      findingCounts: {},
      attestations: { valid: 60, firstSeq: 1, lastSeq: 60, source: 'central' },
    });
    expect(v.integrity.clean).toBe(true);
  });

  /** A live gateway whose press dates its points `behindMs` late, its newest batch received 5 s ago and not sealed yet. */
  async function liveWithPressBehind(behindMs: number) {
    const store = await signedStore('yk-gw01', 10, { deviceBehindMs: behindMs, unsealed: 1 });
    clock = DATA_FROM + 590_000 + 5_000;
    const w = await world();
    const { application } = await applied(w, store);
    const officer = principalOf((await accountByName(w.platform.db, 'officer-yk')) as AccountTable);
    return {
      w,
      store,
      verify: (o: VerifyOptions) => verifyApplication(w.platform.db, officer, application.id, o, clock),
    };
  }

  it("ends the window as far earlier as a device's clock runs behind the gateway's: its points on their way wait for their attestation", async () => {
    const { verify } = await liveWithPressBehind(30_000);
    // No second read (settleMs 0): the first is clean. The copy's newest attestation is batch 58's,
    // stamped 1 s after it was received; points received since one slice before it came 30.02 s late.
    const v = await verify({ settleMs: 0 });
    expect(v.integrity.window.to).toBe(new Date(DATA_FROM + 580_000 + 1_000 - 10_000 - 30_020).toISOString());
    expect(v.integrity).toMatchObject({ clean: true, gateways: [{ clean: true, findingCounts: {} }] });
  });

  it("reads a live gateway's store again once what was on its way is sealed and delivered: readings sent 10 minutes late", async () => {
    // 10 minutes late: beyond the 5 the window's end makes room for (a device sending what it buffered).
    const { w, store, verify } = await liveWithPressBehind(600_000);
    const verifying = verify({});
    // The gateway seals the batch 0.3 s after the verification began, and delivers it to both.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const item = await store.seal(clock + 500);
    await ok(w.app.inject({ method: 'POST', url: '/api/v1/attestations', payload: { items: [item] } }));
    const v = await verifying;
    expect(v.integrity).toMatchObject({
      clean: true,
      gateways: [{ clean: true, findingCounts: {}, attestations: { valid: 60, lastSeq: 60 } }],
    });
  });

  it('keeps the first read of a live gateway when nothing settles in the wait: its unsealed points are unattested', async () => {
    const { verify } = await liveWithPressBehind(600_000);
    const started = Date.now();
    const v = await verify({ settleMs: 1000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // Batch 59, received at 09:09:50 China time and dated by the press 10 minutes before.
    const at = new Date(DATA_FROM + 590_000 - 600_000).toISOString();
    expect(v.integrity).toMatchObject({
      clean: false,
      gateways: [
        {
          clean: false,
          findingCounts: { unattested: 1 },
          findings: [
            {
              kind: 'unattested',
              device: 'press-01',
              from: at,
              to: at,
              message: `press-01, ${at} – ${at}: 2 points no attestation covers (typed in or written by something else)`,
            },
          ],
        },
      ],
    });
  });

  it('judges a store behind the central copy by more than a sink takes to deliver: the attested points not in it are undelivered, not clean', async () => {
    // 100 batches (16 min 40 s) attested to the service that the store does not hold.
    const store = await signedStore('yk-gw01', 30, { sealAfterMs: 10_500, undelivered: 100 });
    const v = await verifiedOn(store);
    const newest = Math.max(...store.items.map((i) => i.stamp));
    expect(v.integrity.window.to).toBe(new Date(newest - 10_000).toISOString());
    expect(v.integrity.clean).toBe(false);
    const first = DATA_FROM + 80 * 10_000;
    const last = DATA_FROM + 179 * 10_000;
    expect(v.integrity.gateways[0]).toMatchObject({
      clean: false,
      findingCounts: { undelivered: 1 },
      findings: [
        {
          kind: 'undelivered',
          device: 'press-01',
          from: new Date(first).toISOString(),
          to: new Date(last).toISOString(),
          message: `press-01, ${new Date(first).toISOString()} – ${new Date(last).toISOString()}: 200 attested points are not in the store, whose newest attestation of this gateway is seq 80 of ${new Date(DATA_FROM + 79 * 10_000 + 10_500).toISOString()}: not delivered yet (the gateway's sink to this store behind or down), or deleted with their attestations. Verify again once the gateway has delivered them.`,
        },
      ],
    });
  });
});
