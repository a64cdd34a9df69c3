// The evidence chain end to end: a gateway attests what it reads, the embedded store holds both,
// `shugai verify` finds the store clean, and finds an edit made to it afterwards.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../services/pymodbus.ts';
import { LAYOUT, loadPlant, until, writePlant } from './plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');
const shugai = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!pymodbusBinary.available)('evidence chain', () => {
  let plc: PymodbusServer;
  beforeAll(async () => {
    plc = await startPymodbusTcp(LAYOUT);
  });
  afterAll(async () => {
    await plc?.stop();
  });

  it('verifies clean what the gateway attested, and reports an edit of the store with device, window and kind', {
    timeout: 180_000,
  }, async () => {
    const file = await writePlant({ modbusPort: plc.port, sinks: 'sinks: [{ type: embedded }]' });
    const dataDir = path.join(path.dirname(file), 'data');
    const init = shugai('gateway', 'init', '--config', file);
    expect(init.status).toBe(0);
    const fingerprint = /fingerprint (sha256:[0-9a-f]{64})/.exec(init.stdout)?.[1];
    expect(fingerprint).toBeDefined();
    expect(init.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    expect(statSync(path.join(dataDir, 'identity', 'gateway.key')).mode & 0o777).toBe(0o600);
    expect(shugai('gateway', 'init', '--config', file).stdout).toContain(`already present (not changed)`);

    const from = new Date(Date.now() - 1000).toISOString();
    const gateway = await Gateway.start(loadPlant(file), PLUGINS, silentLogger);
    await until(() => gateway.health().buffer.appended >= 20, 20_000, 'polls');
    await gateway.stop();
    const to = new Date(Date.now() + 1000).toISOString();
    const store = path.join(dataDir, 'samples.db');
    const args = [
      'verify',
      '--pubkey',
      path.join(dataDir, 'identity', 'gateway.pub'),
      '--gateway',
      'gw-test',
      '--from',
      from,
      '--to',
      to,
      '--store',
      store,
    ];

    const clean = shugai(...args, '--json');
    expect(clean.stderr).toBe('');
    const report = JSON.parse(clean.stdout) as {
      clean: boolean;
      findings: unknown[];
      devices: { device: string; attestedPoints: number }[];
      attestations: { valid: number };
    };
    expect(report.findings).toEqual([]);
    expect(report.clean).toBe(true);
    expect(clean.status).toBe(0);
    const stored = new Database(store, { readonly: true });
    const points = (
      stored.prepare("SELECT COUNT(*) AS n FROM samples WHERE device = 'press-1'").get() as { n: number }
    ).n;
    const attestations = (
      stored.prepare("SELECT COUNT(*) AS n FROM samples WHERE device = '_gateway'").get() as { n: number }
    ).n;
    stored.close();
    expect(report.devices).toEqual([expect.objectContaining({ device: 'press-1', attestedPoints: points })]);
    expect(report.attestations.valid).toBe(attestations);

    // On the box, the config names the store and the gateway: the same report.
    const pubkey = path.join(dataDir, 'identity', 'gateway.pub');
    const fromConfig = shugai(
      'verify',
      '--config',
      file,
      '--pubkey',
      pubkey,
      '--from',
      from,
      '--to',
      to,
      '--json',
    );
    expect([fromConfig.status, fromConfig.stderr]).toEqual([0, '']);
    expect(JSON.parse(fromConfig.stdout)).toEqual(report);

    // Someone raises one reading in the store.
    const db = new Database(store);
    const victim = db
      .prepare("SELECT ts FROM samples WHERE device = 'press-1' AND tag = 'r2' ORDER BY ts LIMIT 1 OFFSET 3")
      .get() as { ts: number };
    db.prepare("UPDATE samples SET value = 999 WHERE device = 'press-1' AND tag = 'r2' AND ts = ?").run(
      victim.ts,
    );
    db.close();
    const tampered = shugai(...args);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toContain('NOT CLEAN');
    expect(tampered.stdout).toContain('[altered] press-1, ');
    // What this run could and could not see, said plainly.
    expect(tampered.stdout).toContain(
      "Guarantees of this run:\n  [held] Points deleted, inserted or altered inside attested spans, and points no attestation covers, are found.\n  [held] A deletion at the start of the window, attestations included, is found: the chain is followed from its first attestation (seq 1), in the window.\n  [not held] A deletion of the newest data together with its attestations cannot be seen without the bureau's copy (--central).\n",
    );
    // The finding names the device, the kind, and the attested slice (about a second) holding the edit.
    const findings = (
      JSON.parse(shugai(...args, '--json').stdout) as {
        findings: { kind: string; device?: string; from: number; to: number }[];
      }
    ).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'altered', device: 'press-1' });
    expect(findings[0]?.from).toBeLessThanOrEqual(victim.ts);
    expect(findings[0]?.to).toBeGreaterThanOrEqual(victim.ts);
    expect((findings[0]?.to ?? 0) - (findings[0]?.from ?? 0)).toBeLessThanOrEqual(2000);
  });

  it('refuses a verification it cannot do, with a clear reason and exit code 2', { timeout: 120_000 }, () => {
    const result = shugai(
      'verify',
      '--gateway',
      'nobody',
      '--keys',
      '/nonexistent',
      '--from',
      '2026-11-02T08:00:00+08:00',
      '--to',
      '2026-11-02T09:00:00+08:00',
      '--store',
      'x.db',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('cannot read the public key /nonexistent/nobody.pub');
    const noZone = shugai(
      'verify',
      '--pubkey',
      BIN,
      '--from',
      '2026-11-02T08:00:00',
      '--to',
      '2026-11-02T09:00:00Z',
      '--store',
      'x.db',
    );
    expect(noZone.status).toBe(2);
    const noStore = shugai(
      'verify',
      '--pubkey',
      BIN,
      '--from',
      '2026-11-02T08:00:00Z',
      '--to',
      '2026-11-02T09:00:00Z',
    );
    expect([noStore.status, noStore.stderr.trim()]).toEqual([
      2,
      'shugai: give --store URL, or --config FILE to read the store it names',
    ]);
  });
});
