// VictoriaMetrics as the store of a real gateway: MQTT readings (floats widened from OPC UA Float,
// ratios, integers, text with a newline) go through the gateway into a real VictoriaMetrics and the
// attestations into the bureau's copy (`shugai serve`). `shugai verify` reads the store back against
// that copy: clean; `shugai assess` measures from it; one point deleted from VictoriaMetrics (the
// series exported, deleted and imported again without it) is found, and nothing else is.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { lowestAnswers } from '../../assessment/fixtures.ts';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { databaseWithGateways, startServe } from '../../dashboards/platform/testing.ts';
import { identityFiles, initIdentity } from '../../gateway/attest/identity.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { freePort } from '../services/ports.ts';
import type { ServiceProcess } from '../services/process.ts';
import { startVictoriaMetrics, type VictoriaMetrics, victoriaBinary } from '../services/victoriametrics.ts';
import { until } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const TOKEN = 'e2e-vm-read-token-0123456789';
const GATEWAY = 'gw-vm';
const ROUNDS = 30;

describe.skipIf(!mosquittoBinary.available || !victoriaBinary.available)('gateway → VictoriaMetrics', () => {
  let dir: string;
  let mosquitto: Mosquitto;
  let vm: VictoriaMetrics;
  let publisher: MqttClient;
  let serve: ServiceProcess | undefined;
  let gateway: Gateway | undefined;
  let serveUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-vm-e2e-'));
    [mosquitto, vm] = await Promise.all([startMosquitto(), startVictoriaMetrics(['-retentionPeriod=10y'])]);
    publisher = await connectAsync(mosquitto.url, { clientId: 'vm-e2e-publisher' });
    const port = await freePort();
    serveUrl = `http://127.0.0.1:${port}`;
    writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    const identity = initIdentity(path.join(dir, 'data')).identity;
    await databaseWithGateways(path.join(dir, 'platform.db'), [
      { id: GATEWAY, publicKeyPem: identity.publicKeyPem },
    ]);
    serve = (
      await startServe(path.join(dir, 'platform.db'), port, ['--read-token-file', path.join(dir, 'token')])
    ).proc;
    writeFileSync(
      path.join(dir, 'plant.yaml'),
      [
        'gateway:',
        `  id: ${GATEWAY}`,
        '  dataDir: ./data',
        '  attestEvery: 500ms',
        'http: { port: 0 }',
        'forward: { flushInterval: 100ms, retryInitial: 100ms, retryMax: 500ms }',
        'sinks:',
        `  - { name: vm, type: victoriametrics, url: '${vm.url}' }`,
        `  - { type: central, url: '${serveUrl}', timeoutMs: 2000 }`,
        'connections:',
        '  - id: line-mqtt',
        '    protocol: mqtt',
        `    url: ${mosquitto.url}`,
        '    clientId: gw-vm-e2e',
        "    subscriptions: [{ topic: 'factory/{device}/{tag}', format: plain }]",
        '    devices:',
        '      - id: press-1',
        '        production: true',
        '        businessLinks: [生产管控]',
        '        tags: [{ id: temp, type: number }, { id: oee, type: number }, { id: count, type: integer }, { id: batch, type: string }]',
        '      - id: press-2',
        '        production: true',
        '        businessLinks: [生产管控]',
        '        tags: [{ id: temp, type: number }]',
        '',
      ].join('\n'),
    );
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop(2000);
    await serve?.stop();
    await publisher?.endAsync();
    await mosquitto?.stop();
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, SHUGAI_CENTRAL_READ_TOKEN: TOKEN },
    });

  it('verifies clean against the bureau copy, measures the evidence, and finds one deleted point', {
    timeout: 240_000,
  }, async () => {
    const from = new Date(Date.now() - 5000).toISOString();
    gateway = await Gateway.start(
      loadGatewayConfig(path.join(dir, 'plant.yaml'), PLUGINS),
      PLUGINS,
      silentLogger,
    );
    const stored = async () =>
      (
        await vm.exportSeries(
          `{__name__="samples_received",gateway="${GATEWAY}",device="press-1",tag_id="temp"}`,
        )
      ).reduce((n, s) => n + s.timestamps.length, 0);
    // Values published before the subscription is active are lost: publish until one is stored.
    await until(
      async () => {
        await publisher.publishAsync('factory/press-1/temp', '20.5', { qos: 1 });
        return (await stored()) > 0;
      },
      30_000,
      'a first value in VictoriaMetrics',
    );
    for (let i = 1; i <= ROUNDS; i++) {
      await Promise.all([
        // An OPC UA Float widened to a double, a ratio, a counter, text with a newline.
        publisher.publishAsync('factory/press-1/temp', String(Math.fround(20 + i / 7)), { qos: 1 }),
        publisher.publishAsync('factory/press-1/oee', String(i / 3), { qos: 1 }),
        publisher.publishAsync('factory/press-1/count', String(1000 + i), { qos: 1 }),
        publisher.publishAsync('factory/press-1/batch', `B-${i}\nshift ${i % 3}`, { qos: 1 }),
        publisher.publishAsync('factory/press-2/temp', String(30 + i), { qos: 1 }),
      ]);
      await new Promise((r) => setTimeout(r, 40));
    }
    await until(async () => (await stored()) >= ROUNDS + 1, 30_000, 'every reading in VictoriaMetrics');
    const health = () => gateway?.health().sinks as Record<string, { backlogRecords: number }>;
    await until(
      () => health().vm?.backlogRecords === 0 && health().central?.backlogRecords === 0,
      30_000,
      'both sinks caught up',
    );
    // Wait for the attestation over the last points to be sealed and sent.
    await new Promise((r) => setTimeout(r, 1500));
    await until(() => health().central?.backlogRecords === 0, 30_000, 'the last attestation sent');
    await fetch(`${vm.url}/internal/force_flush`);
    const to = new Date(Date.now() + 1000).toISOString();
    const store = `vm+${vm.url}`;
    const verify = () =>
      cli(
        'verify',
        '--gateway',
        GATEWAY,
        '--central',
        serveUrl,
        '--store',
        store,
        '--from',
        from,
        '--to',
        to,
        '--json',
      );

    const clean = verify();
    expect(clean.stderr).toBe('');
    const report = JSON.parse(clean.stdout) as {
      clean: boolean;
      findings: unknown[];
      attestations: { source: string };
    };
    expect(report.findings).toEqual([]);
    expect([clean.status, report.clean, report.attestations.source]).toEqual([0, true, 'central']);

    // Without the bureau's copy there is nothing to check the store against: refused, not "unattested".
    const pubkey = identityFiles(path.join(dir, 'data')).publicKey;
    const without = cli('verify', '--pubkey', pubkey, '--store', store, '--from', from, '--to', to);
    expect(without.status).toBe(2);
    expect(without.stderr).toContain('this store keeps no attestations');

    // The assessment measures from the same store: both presses sent data.
    const answers = path.join(dir, 'answers.yaml');
    writeFileSync(answers, stringify(lowestAnswers()));
    const assessed = cli(
      'assess',
      '--answers',
      answers,
      '--config',
      path.join(dir, 'plant.yaml'),
      '--store',
      store,
      '--window',
      `${from}..${to}`,
    );
    expect(assessed.stderr).toBe('');
    expect(JSON.parse(assessed.stdout).evidence.networking).toMatchObject({
      numerator: 2,
      denominator: 2,
      percent: '100',
    });

    // The factory deletes one reading: export the series, delete it, import it back without that point.
    const match = `{__name__=~"samples_.*",gateway="${GATEWAY}",device="press-1",tag_id="oee"}`;
    const series = await vm.exportSeries(match);
    const victim = series.find((s) => s.metric.__name__ === 'samples_value')?.timestamps[10] as number;
    expect(victim).toBeGreaterThan(0);
    const deleted = await fetch(`${vm.url}/api/v1/admin/tsdb/delete_series`, {
      method: 'POST',
      body: new URLSearchParams({ 'match[]': match }),
    });
    expect(deleted.status).toBe(204);
    let body = '';
    for (const s of series) {
      const keep = s.timestamps.map((t, i) => [t, s.values[i]] as const).filter(([t]) => t !== victim);
      body += `${JSON.stringify({ metric: s.metric, values: keep.map(([, v]) => v), timestamps: keep.map(([t]) => t) })}\n`;
    }
    expect((await fetch(`${vm.url}/api/v1/import`, { method: 'POST', body })).status).toBe(204);
    await fetch(`${vm.url}/internal/force_flush`);

    const tampered = verify();
    expect(tampered.status).toBe(1);
    const findings = (
      JSON.parse(tampered.stdout) as {
        findings: { kind: string; device: string; from: number; to: number }[];
      }
    ).findings;
    expect(findings.map((f) => [f.kind, f.device])).toEqual([['deleted', 'press-1']]);
    expect(findings[0]?.from).toBeLessThanOrEqual(victim);
    expect(findings[0]?.to).toBeGreaterThanOrEqual(victim);
  });
});
