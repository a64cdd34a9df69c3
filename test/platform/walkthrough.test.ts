// One application end to end through the platform's API, with a REAL gateway: it reads a press over a
// real Mosquitto into its embedded store and sends its attestations to the platform listening on a
// loopback port (the central sink). The enterprise's gateway key registered, data flowing, self and
// on-site assessments, validation, application, verification (integrity clean against the platform's
// own copy, payout exact to the fen), 初审 by one officer, 复审 by another, the CSV export with its exact
// sum; then one value changed in the store, and a new verification is not clean. SQLite and PostgreSQL.
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { chinaDate } from '../../dashboards/platform/applications/case.ts';
import { addOfficer, ok, validatedAssessment } from '../../dashboards/platform/applications/testing.ts';
import { verifyAudit } from '../../dashboards/platform/audit/log.ts';
import { answersAfter, answersBefore } from '../../dashboards/platform/demo/answers.ts';
import { ENTERPRISES } from '../../dashboards/platform/testing.ts';
import { ATTESTATION_DEVICE } from '../../gateway/attest/attestation.ts';
import { until } from '../gateway/plant.ts';
import { pressGatewayConfig } from '../gateway/press-config.ts';
import { eachLiveSite } from './live-site.ts';

const MEASURE = 'yongkang.nx-renovation';

/** What the test reads of a verification. */
interface Checked {
  integrity: { clean: boolean; gateways: { findings: { kind: string; device?: string }[] }[] };
  levels: unknown;
  evidence: unknown[];
  payout: { amount: string; explanation: string };
}
const GATEWAY = 'yk-walk-gw';

eachLiveSite('walkthrough: gateway → platform → payout', (site) => {
  /** Points of the press and attestations in the gateway's store. */
  const stored = () =>
    site().readStore<{ points: number | null; attestations: number | null }>(
      `SELECT SUM(device = 'press-1') AS points, SUM(device = '${ATTESTATION_DEVICE}') AS attestations FROM samples`,
    );

  it('walks one application from the gateway to the export; a changed value flips the verification', {
    timeout: 180_000,
  }, async () => {
    const { w, dir, database, mosquitto, publisher, url } = site();
    const id = w.enterprise.yongkang;
    const topic = `walk/${database.dialect}/press-1/count`;
    const config = pressGatewayConfig({
      gatewayId: GATEWAY,
      centralUrl: url,
      mqttUrl: mosquitto.url,
      clientId: `walkthrough-${database.dialect}`,
      subscription: `{ topic: 'walk/${database.dialect}/{device}/{tag}', format: plain }`,
    });

    // The bureau files the renovation (signed yesterday, China time); 450,000.00 … exact items.
    const today = chinaDate(Date.now());
    const yesterday = chinaDate(Date.now() - 86_400_000);
    await ok(
      w.call('officer-yk', 'PUT', `/api/v1/enterprises/${id}/renovation`, {
        contract: { number: 'YK-WALK-001', signedOn: yesterday },
        provider: 'provider-1',
        items: [
          { category: 'hardware', description: '数据采集网关与传感器', amount: '262345.67' },
          { category: 'software', description: 'MES 一套', amount: '150000.00' },
        ],
      }),
    );
    // The enterprise's provider registers the gateway's key (from `shugai gateway init`) and its
    // store; data flows: the real gateway reads the press through Mosquitto and attests to the platform.
    const gateway = await site().startGateway(GATEWAY, config);
    let count = 0;
    await until(
      async () => {
        await publisher.publishAsync(topic, String(++count), { qos: 1 });
        await new Promise((r) => setTimeout(r, 50));
        return (stored().points ?? 0) >= 30;
      },
      60_000,
      '30 points in the store',
    );
    const chain = async () =>
      (await ok(w.call('officer-yk', 'GET', `/api/v1/gateways/${GATEWAY}/chain`))) as {
        count: number;
        lastSeq: number;
        missing: unknown[];
      };
    // Publishing stopped: the last messages land, their attestation is sealed (every 500 ms), and the
    // bureau's copy catches up with every attestation in the store.
    const backlog = (sink: string) =>
      ((gateway.health().sinks ?? {}) as Record<string, { backlogRecords: number }>)[sink]?.backlogRecords;
    let last = { points: -1, since: Date.now() };
    await until(
      async () => {
        const now = stored();
        if (now.points !== last.points) last = { points: now.points ?? 0, since: Date.now() };
        const settled =
          Date.now() - last.since > 2000 && backlog('embedded') === 0 && backlog('central') === 0;
        return settled && (await chain()).count === (now.attestations ?? -1);
      },
      30_000,
      'the store settled and the central copy equal to it',
    );
    expect((await chain()).missing).toEqual([]);

    // Self-assessment by the enterprise, on site by the assigned assessor, validated: before and after.
    const facts = { name: ENTERPRISES.yongkang.name, uscc: ENTERPRISES.yongkang.uscc, machines: 10 };
    const assess = (answers: unknown) => validatedAssessment(w, id, answers);
    const before = await assess(answersBefore({ ...facts, networked: 2 }));
    const after = await assess(answersAfter({ ...facts, networked: 9 }));
    expect([before.officialLevel, after.officialLevel]).toEqual([1, 2]);

    const application = await ok(
      w.call('ent-yk', 'POST', `/api/v1/enterprises/${id}/applications`, {
        measure: MEASURE,
        assessmentBefore: before.id,
        assessmentAfter: after.id,
        aboveScale: true,
      }),
      201,
    );
    const appUrl = `/api/v1/applications/${application.id}`;
    const verify = async () =>
      (await ok(w.call('officer-yk', 'POST', `${appUrl}/verifications`, {}), 201)) as unknown as Checked;
    const v = await verify();
    expect(v.integrity).toMatchObject({
      clean: true,
      gateways: [
        {
          gateway: GATEWAY,
          clean: true,
          attestations: { source: 'central', firstSeq: 1, lastSeq: (await chain()).lastSeq },
          findings: [],
        },
      ],
    });
    expect(v.levels).toMatchObject({ before: { level: 1 }, after: { level: 2 } });
    // 262345.67 + 150000.00 = 412345.67 at 40% = 164938.268, rounded half up to the fen: 164938.27.
    expect(v.payout).toMatchObject({
      eligible: true,
      amount: '164938.27',
      case: { asOf: today, investment: { total: '412345.67' } },
    });
    expect(v.payout.explanation).toContain('164938.27');
    // The machine evidence from the config on file: the one production device delivered data.
    expect(v.evidence).toEqual([
      expect.objectContaining({ gateway: GATEWAY, contradictions: expect.any(Array) }),
    ]);

    // 初审 by officer-yk, 复审 by another officer of 永康.
    const second = await addOfficer(w, 'officer-yk2', '330784');
    await ok(
      w.call('officer-yk', 'POST', `${appUrl}/first-review`, { outcome: 'approve', reason: '数据完整' }),
    );
    const approved = await ok(
      w.app.inject({
        method: 'POST',
        url: `${appUrl}/second-review`,
        headers: second,
        payload: { outcome: 'approve', reason: '复核无误' },
      }),
    );
    expect(approved).toMatchObject({
      state: 'approved',
      verification: { amount: '164938.27', clean: true },
    });

    const csv = await w.call('officer-yk', 'GET', '/api/v1/payouts?batch=1&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toBe(
      '\uFEFF申请编号,企业名称,统一社会信用代码,行政区划,批次,政策措施,文件,条款,补助金额(元),中央,省级,市级,区县级,未分级,初审,复审,批准日期\r\n' +
        `${application.id},永康某保温杯有限公司,91330100716105852F,330784,1,${MEASURE},永政办发〔2023〕40号,二(一),164938.27,,,,,164938.27,officer-yk,officer-yk2,${chinaDate(Date.now())}\r\n` +
        '合计,1 家,,,,,,,164938.27,,,,,164938.27,,,\r\n',
    );

    // The factory changes one value in its store: the next verification is not clean, and says where.
    await gateway.stop(2000);
    site().gateway = undefined;
    const store = new Database(path.join(dir, 'data', 'samples.db'));
    const changed = store
      .prepare(
        "UPDATE samples SET value = value + 1000 WHERE device = 'press-1' AND tag = 'count' AND ts = (SELECT MIN(ts) FROM samples WHERE device = 'press-1' AND tag = 'count')",
      )
      .run();
    store.close();
    expect(changed.changes).toBe(1);
    const tampered = await verify();
    expect(tampered.integrity.clean).toBe(false);
    expect(tampered.integrity.gateways[0]?.findings).toEqual([
      expect.objectContaining({ kind: 'altered', device: 'press-1' }),
    ]);
    expect(tampered.payout.amount).toBe('164938.27');
    expect((await verifyAudit(w.platform.db)).ok).toBe(true);
  });
});
