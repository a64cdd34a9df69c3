// The systemd units as systemd reads them: `systemd-analyze verify` finds nothing to say, and the
// gateway is ordered after a local store and broker without depending on them (it must start and
// buffer when they are absent).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../test/services/binaries.ts';

const systemdAnalyze = requireBinary('systemd-analyze', 'systemd');
const unit = (name: string) => path.join(import.meta.dirname, 'systemd', name);

/** The values of `key` in the [Unit] section, split into unit names. */
function unitDependencies(text: string, key: string): string[] {
  const section = /\[Unit\]\n([\s\S]*?)\n\[/.exec(text)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .flatMap((line) => line.slice(key.length + 1).split(/\s+/));
}

describe('systemd units', () => {
  it.skipIf(!systemdAnalyze.available).each(['shugai-gateway.service', 'shugai-central.service'])(
    '%s passes systemd-analyze verify without a warning',
    (name) => {
      const result = spawnSync(systemdAnalyze.path!, ['verify', unit(name)], { encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({
        status: 0,
        stderr: '',
        stdout: '',
      });
    },
  );

  it('orders the gateway after the network and a local InfluxDB, VictoriaMetrics or MQTT broker, requiring none', () => {
    const text = readFileSync(unit('shugai-gateway.service'), 'utf8');
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
});
