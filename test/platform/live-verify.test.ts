// An officer verifies while the gateway runs: a REAL gateway reads a press over a real Mosquitto into
// its embedded store and sends its attestations to the platform (the central sink), the press dating
// its readings by a clock 3 s behind the gateway's, and publishing on through the verification. The
// two sinks deliver apart and the press's newest points are not sealed yet when the store is read:
// genuine data, which must verify clean, again and again.
import { expect, it, onTestFinished } from 'vitest';
import { ok, validatedAssessment } from '../../dashboards/platform/applications/testing.ts';
import { answersAfter, answersBefore } from '../../dashboards/platform/demo/answers.ts';
import { ENTERPRISES } from '../../dashboards/platform/testing.ts';
import { until } from '../gateway/plant.ts';
import { pressGatewayConfig } from '../gateway/press-config.ts';
import { eachLiveSite } from './live-site.ts';

const GATEWAY = 'yk-live-gw';
/** How far behind the gateway's clock the press dates its readings. */
const PRESS_BEHIND_MS = 3_000;

eachLiveSite('a verification while the gateway runs', (site) => {
  /** The press's points in the gateway's store, and their span (ms). */
  const stored = () =>
    site().readStore<{ points: number; span: number | null }>(
      `SELECT COUNT(*) AS points, MAX(ts) - MIN(ts) AS span FROM samples WHERE device = 'press-1'`,
    );

  it('verifies clean every time, the window ending before the press points still on their way', {
    timeout: 120_000,
  }, async () => {
    const { w, database, mosquitto, publisher, url } = site();
    const id = w.enterprise.yongkang;
    const topic = `live/${database.dialect}/press-1`;
    const config = pressGatewayConfig({
      gatewayId: GATEWAY,
      centralUrl: url,
      mqttUrl: mosquitto.url,
      clientId: `live-verify-${database.dialect}`,
      subscription: `{ topic: 'live/${database.dialect}/{device}', format: json, tag: count, value: $.count, timestamp: $.ts, timestampFormat: epoch_ms }`,
    });
    await ok(
      w.call('officer-yk', 'PUT', `/api/v1/enterprises/${id}/renovation`, {
        contract: { number: 'YK-LIVE-001', signedOn: '2026-01-01' },
        provider: 'provider-1',
        items: [{ category: 'hardware', description: '数据采集网关与传感器', amount: '300000.00' }],
      }),
    );
    await site().startGateway(GATEWAY, config);
    // The press counts 20 times a second, dating each count by its own clock, 3 s behind.
    let count = 0;
    const publishing = setInterval(() => {
      count += 1;
      publisher
        .publishAsync(topic, JSON.stringify({ count, ts: Date.now() - PRESS_BEHIND_MS }), { qos: 1 })
        .catch(() => {});
    }, 50);
    onTestFinished(() => clearInterval(publishing));
    // Enough data that the window, ending ~3.5 s before the newest attestation, holds some.
    await until(() => (stored().span ?? 0) >= 8_000, 60_000, '8 s of the press in the store');

    const facts = { name: ENTERPRISES.yongkang.name, uscc: ENTERPRISES.yongkang.uscc, machines: 10 };
    const before = await validatedAssessment(w, id, answersBefore({ ...facts, networked: 2 }));
    const after = await validatedAssessment(w, id, answersAfter({ ...facts, networked: 9 }));
    const application = await ok(
      w.call('ent-yk', 'POST', `/api/v1/enterprises/${id}/applications`, {
        measure: 'yongkang.nx-renovation',
        assessmentBefore: before.id,
        assessmentAfter: after.id,
        aboveScale: true,
      }),
      201,
    );
    // Verified again and again while the press publishes: each time clean, no finding.
    for (let round = 0; round < 5; round++) {
      const started = Date.now();
      const v = (await ok(
        w.call('officer-yk', 'POST', `/api/v1/applications/${application.id}/verifications`, {}),
        201,
      )) as unknown as {
        integrity: {
          window: { to: string };
          clean: boolean;
          gateways: {
            findings: { message: string }[];
            devices: { device: string; lastAttested?: string }[];
          }[];
        };
      };
      expect(v.integrity.gateways[0]?.findings, `round ${round}`).toEqual([]);
      expect(v.integrity.clean, `round ${round}`).toBe(true);
      // The window ends more than the press's 3 s and a slice before the verification began.
      expect(Date.parse(v.integrity.window.to)).toBeLessThan(started - PRESS_BEHIND_MS - 500);
      expect(
        v.integrity.gateways[0]?.devices.find((d) => d.device === 'press-1')?.lastAttested,
      ).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 300 + round * 170));
    }
    expect(stored().points).toBeGreaterThan(0);
  });
});
