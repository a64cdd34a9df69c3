// A real gateway with a central sink, the central service run by `shugai serve` (the platform): the
// attestations of an unregistered gateway wait in its buffer until an operator registers its key;
// then they arrive; the service goes down while the gateway keeps ingesting, comes back on the same
// port and database, and the copy of the chain ends exactly equal to the gateway's own store.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { centralAttestations } from '../../dashboards/central/client.ts';
import { databaseWithGateways, ENTERPRISES, startServe } from '../../dashboards/platform/testing.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG } from '../../gateway/attest/attestation.ts';
import { identityFiles, initIdentity } from '../../gateway/attest/identity.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';
import { freePort } from '../services/ports.ts';
import type { ServiceProcess } from '../services/process.ts';
import { until } from './plant.ts';
import { pressGatewayConfig } from './press-config.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const TOKEN = 'e2e-central-token-0123456789';
const GATEWAY = 'gw-central';
const EVER = { from: 0, to: 8_640_000_000_000 };

describe.skipIf(!mosquittoBinary.available)('gateway → central attestation service', () => {
  let dir: string;
  let mosquitto: Mosquitto;
  let publisher: MqttClient;
  let central: ServiceProcess | undefined;
  let gateway: Gateway | undefined;
  let centralPort: number;
  let centralUrl: string;
  let published = 0;

  const db = () => path.join(dir, 'central', 'central.db');
  const dataDir = () => path.join(dir, 'data');

  async function startCentral(): Promise<ServiceProcess> {
    return (await startServe(db(), centralPort, ['--read-token-file', path.join(dir, 'token')])).proc;
  }

  async function chain(): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${centralUrl}/api/v1/gateways/${GATEWAY}/chain`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const publish = () => publisher.publishAsync('factory/press-1/count', String(++published), { qos: 1 });

  /** Publishes n new counter values and waits until the gateway has stored them. */
  async function ingest(n: number): Promise<void> {
    const target = storedCounts().points + n;
    for (let i = 0; i < n; i++) {
      await publish();
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => storedCounts().points >= target, 20_000, `${target} points in the store`);
  }

  /** Points and attestations in the gateway's embedded store, read beside the running gateway. */
  function storedCounts(): { points: number; attestations: number } {
    const store = new Database(path.join(dataDir(), 'samples.db'), { readonly: true, fileMustExist: true });
    try {
      const row = store
        .prepare(
          `SELECT SUM(device = 'press-1') AS points, SUM(device = '${ATTESTATION_DEVICE}') AS attestations FROM samples`,
        )
        .get() as { points: number | null; attestations: number | null };
      return { points: row.points ?? 0, attestations: row.attestations ?? 0 };
    } finally {
      store.close();
    }
  }

  /** Records the sink has not stored yet (attestations are records without machine samples). */
  const backlog = (sink: string): number => {
    const sinks = (gateway?.health().sinks ?? {}) as Record<string, { backlogRecords: number }>;
    return sinks[sink]?.backlogRecords ?? -1;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-central-e2e-'));
    mosquitto = await startMosquitto();
    publisher = await connectAsync(mosquitto.url, { clientId: 'central-e2e-publisher' });
    centralPort = await freePort();
    centralUrl = `http://127.0.0.1:${centralPort}`;
    writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(
      path.join(dir, 'plant.yaml'),
      pressGatewayConfig({
        gatewayId: GATEWAY,
        centralUrl,
        mqttUrl: mosquitto.url,
        clientId: 'gw-central-e2e',
        connection: ['    reconnect: { initialDelayMs: 100, maxDelayMs: 400 }'],
        subscription: "{ topic: 'factory/{device}/{tag}', format: plain }",
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop(2000);
    await central?.stop();
    await publisher?.endAsync();
    await mosquitto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('receives every attestation, keeps them through an unregistered start and an outage, loses none', {
    timeout: 240_000,
  }, async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    // The service runs with the enterprise on file, but its gateway is not registered yet: 403, the
    // gateway keeps buffering.
    await databaseWithGateways(db(), []);
    central = await startCentral();
    const identity = initIdentity(dataDir()).identity;
    gateway = await Gateway.start(
      loadGatewayConfig(path.join(dir, 'plant.yaml'), PLUGINS),
      PLUGINS,
      silentLogger,
    );
    // Values published before the subscription is active are lost; publish until one lands.
    await until(
      async () => {
        await publish();
        await new Promise((r) => setTimeout(r, 200));
        return storedCounts().points > 0;
      },
      30_000,
      'a first value through the broker',
    );
    await ingest(4);
    await until(() => backlog('embedded') === 0, 20_000, 'the embedded store caught up');
    // The attestations (sealed within a second) wait in the buffer for the central service.
    await until(() => backlog('central') > 0, 5000, 'attestations waiting for the central service');
    expect((await chain()).status).toBe(404);

    // The operator registers the key: the buffered attestations arrive.
    const registered = spawnSync(
      process.execPath,
      [
        BIN,
        'central',
        'register',
        '--db',
        db(),
        '--enterprise',
        ENTERPRISES.yongkang.uscc,
        '--gateway',
        GATEWAY,
        '--pubkey',
        identityFiles(dataDir()).publicKey,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(registered.stdout).toBe(`gateway ${GATEWAY}: registered\nfingerprint ${identity.fingerprint}\n`);
    // The registration above ran synchronously, so the slice's seal timer may only fire now: wait
    // for the attestations in the store and both sinks caught up, not for an idle moment before it.
    await until(
      () => storedCounts().attestations > 0 && backlog('central') === 0 && backlog('embedded') === 0,
      30_000,
      'the attestations in the store and both sinks caught up after registration',
    );
    const first = storedCounts().attestations;
    expect(first).toBeGreaterThan(0);
    expect((await chain()).body).toMatchObject({
      gateway: GATEWAY,
      fingerprint: identity.fingerprint,
      count: first,
      firstSeq: 1,
      lastSeq: first,
      missing: [],
      forkCount: 0,
    });

    // The service goes down; the gateway keeps ingesting and attesting.
    await central.stop();
    await ingest(10);
    await until(() => storedCounts().attestations > first, 20_000, 'new attestations in the store');
    expect(backlog('central')).toBeGreaterThan(0);

    // Back on the same port and database: the backlog drains, nothing is missing.
    central = await startCentral();
    await until(() => backlog('central') === 0, 30_000, 'the central sink caught up after the outage');
    await gateway.stop();
    gateway = undefined;

    const head = JSON.parse(readFileSync(path.join(identityFiles(dataDir()).dir, 'chain.json'), 'utf8')) as {
      seq: number;
    };
    const { attestations } = storedCounts();
    expect(attestations).toBe(head.seq);
    expect((await chain()).body).toMatchObject({
      count: head.seq,
      firstSeq: 1,
      lastSeq: head.seq,
      missing: [],
      missingSeqs: 0,
      forkCount: 0,
    });
    // The copy is exactly what the gateway's own store holds: same stamps, same attestation text.
    const local = new EmbeddedStore('check', path.join(dataDir(), 'samples.db'), { readonly: true });
    const own: { text: string; stamp: number }[] = [];
    for await (const s of local.samples({ ...EVER, device: ATTESTATION_DEVICE, tag: ATTESTATION_TAG }))
      own.push({ text: String(s.value), stamp: s.sourceTime });
    await local.close();
    const copy: { text: string; stamp: number }[] = [];
    for await (const item of centralAttestations(centralUrl, GATEWAY, TOKEN, EVER)) copy.push(item);
    expect(copy.length).toBe(head.seq);
    expect(copy).toEqual(own);

    // The bureau verifies the store against its copy: clean. Then the factory deletes its last three
    // points together with their attestations: the store alone still looks whole, the copy does not.
    const verify = (token: string, ...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          BIN,
          'verify',
          '--gateway',
          GATEWAY,
          '--from',
          from,
          '--to',
          new Date(Date.now() + 1000).toISOString(),
          '--store',
          path.join(dataDir(), 'samples.db'),
          '--json',
          ...extra,
        ],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SHUGAI_CENTRAL_READ_TOKEN: token } },
      );
    const againstCopy = ['--central', centralUrl];
    const clean = verify(TOKEN, ...againstCopy);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    expect(JSON.parse(clean.stdout).attestations).toMatchObject({
      valid: head.seq,
      firstSeq: 1,
      lastSeq: head.seq,
      source: 'central',
    });
    const tailGuarantee = (stdout: string) =>
      (JSON.parse(stdout) as { guarantees: { id: string }[] }).guarantees.find((g) => g.id === 'tail');
    expect(tailGuarantee(clean.stdout)).toEqual({
      id: 'tail',
      held: true,
      text: "A deletion of the newest data together with its attestations is found: the attestations are the bureau's copy.",
    });

    // The factory deletes its newest slice of data together with the attestation over it: the store
    // alone still looks whole (a shorter chain), the bureau's copy does not.
    const edit = new Database(path.join(dataDir(), 'samples.db'));
    const newest = edit
      .prepare(`SELECT value FROM samples WHERE device = '_gateway' ORDER BY ts DESC LIMIT 1`)
      .get() as { value: string };
    const lastSlice = (
      JSON.parse(newest.value) as { devices: { device: string; from: number; count: number }[] }
    ).devices;
    const cut = Math.min(...lastSlice.map((d) => d.from));
    const tail = edit.prepare(`SELECT ts FROM samples WHERE device = 'press-1' AND ts >= ?`).all(cut) as {
      ts: number;
    }[];
    expect(tail.length).toBe(lastSlice.reduce((n, d) => n + d.count, 0));
    edit.prepare('DELETE FROM samples WHERE ts >= ?').run(cut);
    edit.close();
    const storeOnly = verify(TOKEN, '--pubkey', identityFiles(dataDir()).publicKey);
    expect(storeOnly.status).toBe(0);
    expect(tailGuarantee(storeOnly.stdout)).toMatchObject({ id: 'tail', held: false });
    const caught = verify(TOKEN, ...againstCopy);
    expect(caught.status).toBe(1);
    const report = JSON.parse(caught.stdout) as {
      findings: { kind: string; device?: string; from?: number; to?: number; message: string }[];
    };
    // The store lacks the newest slice and its attestation: to the verifier, data not delivered to the
    // store yet or deleted with its attestations, one finding that says both (not "clean", not "deleted").
    expect(report.findings.map((f) => [f.kind, f.device])).toEqual([['undelivered', 'press-1']]);
    const [undelivered] = report.findings as [(typeof report.findings)[number]];
    expect(undelivered.message).toMatch(
      new RegExp(
        `^press-1, .*: ${tail.length} attested points are not in the store, whose newest attestation of this gateway is seq ${head.seq - 1} of .*: not delivered yet \\(the gateway's sink to this store behind or down\\), or deleted with their attestations\\.`,
      ),
    );
    for (const { ts } of tail)
      expect((undelivered.from as number) <= ts && ts <= (undelivered.to as number)).toBe(true);

    // Without the token the copy cannot be read: the check cannot be done (2), not "clean".
    const noToken = verify('wrong-token-0123456789', ...againstCopy);
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('HTTP 401');
  });
});
