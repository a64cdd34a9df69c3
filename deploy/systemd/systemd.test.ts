// The units as systemd reads them: `systemd-analyze verify` (syntax, known keys, the executable) with
// nothing to say, and `systemd-analyze security --offline` keeping each one in the "OK" band.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../../test/services/binaries.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const UNITS = readdirSync(DIR).filter((f) => f.endsWith('.service'));
const analyze = requireBinary('systemd-analyze', 'systemd');

/** The values of `key` in the [Unit] section, split into unit names. */
function unitDependencies(text: string, key: string): string[] {
  const section = /\[Unit\]\n([\s\S]*?)\n\[/.exec(text)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .flatMap((line) => line.slice(key.length + 1).split(/\s+/));
}

function systemdAnalyze(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(analyze.path as string, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

describe.skipIf(!analyze.available)('systemd units', () => {
  it('are the gateway and the platform (which holds the central copy)', () => {
    expect(UNITS.sort()).toEqual(['shugai-gateway.service', 'shugai-serve.service']);
  });

  it('order the gateway after the network and a local InfluxDB, VictoriaMetrics or MQTT broker, requiring none', () => {
    const text = readFileSync(path.join(DIR, 'shugai-gateway.service'), 'utf8');
    expect(unitDependencies(text, 'After')).toEqual([
      'network-online.target',
      'influxdb.service',
      'victoria-metrics.service',
      'mosquitto.service',
      'emqx.service',
    ]);
    expect(unitDependencies(text, 'Wants')).toEqual(['network-online.target']);
    for (const strong of ['Requires', 'Requisite', 'BindsTo', 'PartOf'])
      expect(unitDependencies(text, strong), strong).toEqual([]);
  });

  for (const unit of UNITS) {
    it(`${unit}: systemd-analyze verify has nothing to say`, async () => {
      expect(await systemdAnalyze('verify', path.join(DIR, unit))).toEqual({ code: 0, output: '' });
    });

    it(`${unit}: exposure 5.0 or less (systemd-analyze security)`, async () => {
      const result = await systemdAnalyze(
        'security',
        '--offline=true',
        '--threshold=50',
        path.join(DIR, unit),
      );
      expect(result.output).toMatch(/Overall exposure level for .*: [0-4]\.\d OK/);
      expect(result.code).toBe(0);
    });

    it(`${unit}: runs the current release with Node, so compiled JS is a one-line change`, () => {
      const text = readFileSync(path.join(DIR, unit), 'utf8');
      expect(text).toMatch(
        /^ExecStart=\/usr\/bin\/node (--[a-z-]+ )*\/opt\/shugai\/current\/bin\/shugai\.mjs /m,
      );
      expect(text).toContain('WorkingDirectory=/opt/shugai/current\n');
    });
  }

  it('verify does speak up about a broken unit (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-units-'));
    try {
      const broken = readFileSync(path.join(DIR, 'shugai-gateway.service'), 'utf8')
        .replace('ProtectSystem=strict', 'ProtectSystem=maybe')
        .replace('/usr/bin/node', '/usr/bin/nodejs-missing');
      await writeFile(path.join(dir, 'shugai-gateway.service'), broken);
      const result = await systemdAnalyze('verify', path.join(dir, 'shugai-gateway.service'));
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('Failed to parse protect system value, ignoring: maybe');
      expect(result.output).toContain('Command /usr/bin/nodejs-missing is not executable');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the journald drop-in sets only keys journald knows (the commented defaults of journald.conf)', () => {
    const defaults = readFileSync('/etc/systemd/journald.conf', 'utf8');
    const lines = readFileSync(path.join(DIR, 'journald-shugai.conf'), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('[Journal]');
    for (const line of lines.slice(1)) {
      const key = line.split('=')[0] as string;
      expect(defaults, key).toMatch(new RegExp(`^#${key}=`, 'm'));
    }
  });
});

/** The unit's `Environment=NAME=value` settings. */
function unitEnvironment(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
}

/** V8's new space in MB of a Node started with `env`, after enough short-lived objects to grow it. */
function youngGenerationMb(env: Record<string, string>): number {
  const churn = `const keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 2e5) keep.length = 0; }
    const s = require('node:v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    console.log(s.space_size / 2 ** 20);`;
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  return Number(
    execFileSync(process.execPath, ['-e', churn], { env: { ...inherited, ...env }, encoding: 'utf8' }),
  );
}

describe('the gateway unit', () => {
  const text = readFileSync(path.join(DIR, 'shugai-gateway.service'), 'utf8');

  it('runs Node with single-threaded garbage collection (a node flag: NODE_OPTIONS refuses it)', () => {
    expect(text).toMatch(
      /^ExecStart=\/usr\/bin\/node --single-threaded-gc \/opt\/shugai\/current\/bin\/shugai\.mjs gateway /m,
    );
    const refused = spawnSync(process.execPath, ['-e', ''], {
      env: { ...process.env, NODE_OPTIONS: '--single-threaded-gc' },
      encoding: 'utf8',
    });
    expect(refused.stderr).toContain('--single-threaded-gc is not allowed in NODE_OPTIONS');
  });

  it("caps V8's young generation at 8 MB in NODE_OPTIONS (V8 grows it to 32 MB under load otherwise)", () => {
    const env = unitEnvironment(text);
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=4' });
    expect(youngGenerationMb(env)).toBeLessThanOrEqual(8.5);
    expect(youngGenerationMb({})).toBeGreaterThan(16);
  });
});
