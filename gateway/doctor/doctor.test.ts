// `shugai doctor` as an installer runs it: the real CLI in a child process, on a box made of real
// parts (a pymodbus PLC, an InfluxDB with authentication, a chronyd time server, a tmpfs), first
// good, then with each bad condition made for real.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chrony, chronydBinary, startChrony } from '../../test/services/chrony.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../test/services/influxdb.ts';
import { freePort } from '../../test/services/ports.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../../test/services/pymodbus.ts';
import {
  fillDisk,
  mountSmallDisk,
  type SmallDisk,
  smallDisksAvailable,
} from '../../test/services/small-disk.ts';
import { initIdentity } from '../attest/identity.ts';
import { startHealthServer } from '../http.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const available =
  pymodbusBinary.available && influxdBinary.available && chronydBinary.available && smallDisksAvailable;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The finding lines, `ok|warn|fail <check>: <finding>`. */
  lines: string[];
}

function doctor(config: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/shugai.mjs', 'doctor', '--config', config, '--timeout', '2000', ...args],
      { cwd: ROOT, timeout: 120_000, env: { ...process.env, SHUGAI_LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, lines: stdout.trimEnd().split('\n') });
      },
    );
  });
}

const line = (run: Run, check: string) =>
  run.lines.filter((l) => l.replace(/^\w+ /, '').startsWith(`${check}:`));

describe.skipIf(!available)('shugai doctor', { timeout: 60_000 }, () => {
  let dir: string;
  let modbus: PymodbusServer;
  let influx: InfluxDB;
  let time: Chrony;
  let deadPort: number;

  /** A box's config: everything right unless a part is overridden. */
  interface Box {
    dataDir?: string;
    httpPort?: number;
    modbusPort?: number;
    influxUrl?: string;
    password?: string;
    extra?: string;
  }
  async function writeBox(
    name: string,
    box: Box = {},
  ): Promise<{ file: string; dataDir: string; httpPort: number }> {
    const boxDir = path.join(dir, name);
    await mkdir(boxDir, { mode: 0o700 });
    const dataDir = box.dataDir ?? path.join(boxDir, 'data');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    initIdentity(dataDir);
    const secret = path.join(boxDir, 'influx-password');
    await writeFile(secret, box.password ?? 'right-password', { mode: 0o600 });
    const httpPort = box.httpPort ?? (await freePort());
    const file = path.join(boxDir, 'plant.yaml');
    await writeFile(
      file,
      [
        'gateway:',
        '  id: yk-cups-gw01',
        `  dataDir: ${dataDir}`,
        'buffer:',
        '  maxBytes: 4MiB',
        '  minFree: 256KiB',
        'http:',
        '  host: 127.0.0.1',
        `  port: ${httpPort}`,
        'sinks:',
        '  - name: influx',
        '    type: influxdb',
        '    version: 1',
        `    url: ${box.influxUrl ?? influx.url}`,
        '    database: plant',
        '    username: shugai',
        `    password: \${file:${secret}}`,
        '  - { name: local, type: embedded }',
        'connections:',
        '  - id: press-plc',
        '    protocol: modbus',
        '    transport: tcp',
        '    host: 127.0.0.1',
        `    port: ${box.modbusPort ?? modbus.port}`,
        '    addressBase: 0',
        '    timeoutMs: 500',
        '    devices:',
        '      - id: press-3',
        '        unitId: 1',
        '        production: true',
        '        businessLinks: [生产管控]',
        '        tags:',
        '          - { id: spindle_on, type: boolean, register: coil, address: 0 }',
        '          - { id: stroke_count, type: integer, register: holding, address: 10, dataType: uint16 }',
        '          - { id: oil_temp, type: number, register: input, address: 5, dataType: int16, scale: 0.1 }',
        box.extra ?? '',
      ].join('\n'),
      { mode: 0o640 },
    );
    return { file, dataDir, httpPort };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-doctor-'));
    deadPort = await freePort();
    [modbus, influx, time] = await Promise.all([
      startPymodbusTcp({
        units: {
          1: {
            coils: { blocks: { 0: [1] } },
            holding: { values: [{ address: 10, type: 'uint16', value: 4321 }] },
            input: { values: [{ address: 5, type: 'int16', value: -235 }] },
          },
        },
      }),
      startInfluxDB({ authEnabled: true }),
      startChrony({ serve: true }),
    ]);
    await influx.query("CREATE USER admin WITH PASSWORD 'admin-password' WITH ALL PRIVILEGES");
    const admin = { Authorization: `Basic ${Buffer.from('admin:admin-password').toString('base64')}` };
    for (const q of [
      'CREATE DATABASE plant',
      "CREATE USER shugai WITH PASSWORD 'right-password'",
      'GRANT WRITE ON plant TO shugai',
      'GRANT READ ON plant TO shugai',
    ]) {
      const res = await fetch(`${influx.url}/query`, {
        method: 'POST',
        headers: admin,
        body: new URLSearchParams({ q }),
      });
      expect(res.status, q).toBe(200);
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all([modbus?.stop(), influx?.stop(), time?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a good box: every line ok, exit code 0', async () => {
    const box = await writeBox('good');
    const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
    expect(run.stderr).toBe('');
    expect(run.lines.map((l) => l.split(':')[0])).toEqual([
      'ok config',
      'ok clock',
      'ok disk',
      'ok permissions',
      'ok permissions',
      'ok permissions',
      'ok port',
      'ok device press-3',
      'ok sink influx',
      'ok sink local',
    ]);
    expect(run.lines[0]).toBe(
      `ok config: ${box.file}: gateway yk-cups-gw01, 1 connections, 1 devices, 3 tags, sinks: influx, local`,
    );
    expect(line(run, 'clock')[0]).toMatch(
      new RegExp(`ms (behind|ahead of) the time server 127\\.0\\.0\\.1:${time.ntpPort} \\(stratum 10\\)$`),
    );
    expect(line(run, 'disk')[0]).toMatch(/: room for maxBytes 4\.0 MiB$/);
    expect(line(run, 'permissions')).toEqual([
      `ok permissions: config ${box.file} is mode 0640`,
      `ok permissions: dataDir ${box.dataDir} is writable and mode 0700`,
      `ok permissions: gateway key ${box.dataDir}/identity/gateway.key is mode 0600`,
    ]);
    expect(line(run, 'port')).toEqual([
      `ok port: 127.0.0.1:${box.httpPort} is free for /healthz, /readyz and /metrics`,
    ]);
    expect(line(run, 'device press-3')).toEqual([
      `ok device press-3: 3 of 3 tags read from modbus 127.0.0.1:${modbus.port}`,
    ]);
    expect(line(run, 'sink influx')[0]).toMatch(
      new RegExp(
        `^ok sink influx: InfluxDB \\S+ at http://127\\.0\\.0\\.1:${influx.port} as shugai: database plant exists$`,
      ),
    );
    expect(run.code).toBe(0);
  });

  it('an invalid config: one fail line per problem with file and line, nothing else checked, exit 2', async () => {
    const box = await writeBox('invalid', { extra: 'forward:\n  batchMaxSamples: many' });
    const run = await doctor(box.file);
    expect(run.lines).toEqual([
      `fail config: ${box.file}:37 forward.batchMaxSamples: Invalid input: expected number, received string`,
    ]);
    expect(run.code).toBe(2);
  });

  it('the gateway key readable by others: fail, with the chmod to run', async () => {
    const box = await writeBox('key-mode');
    await chmod(path.join(box.dataDir, 'identity', 'gateway.key'), 0o644);
    const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
    const key = path.join(box.dataDir, 'identity', 'gateway.key');
    expect(line(run, 'permissions')).toContain(
      `fail permissions: gateway key ${key} is mode 0644: group or others can read it; chmod 600 ${key}`,
    );
    expect(run.lines.filter((l) => !l.startsWith('ok '))).toHaveLength(1);
    expect(run.code).toBe(2);
  });

  it('a port in use by another program: fail; held by this gateway: ok', async () => {
    const port = await freePort();
    // Another program on the port: it accepts and never answers (and reads, so a closed peer ends).
    const squatter = net.createServer((socket) => socket.on('error', () => {}).resume());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const box = await writeBox('port', { httpPort: port });
    try {
      const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
      expect(line(run, 'port')).toEqual([
        `fail port: 127.0.0.1:${port} is in use by another program; free it or set http.port`,
      ]);
      expect(run.code).toBe(2);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    // The gateway's own health server, answering /readyz as a running gateway does.
    const health = await startHealthServer('127.0.0.1', port, new Registry(), () => ({
      ready: true,
      gateway: 'yk-cups-gw01',
      buffer: { bytes: 0 },
    }));
    try {
      const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
      expect(line(run, 'port')).toEqual([
        `ok port: 127.0.0.1:${port} is held by gateway yk-cups-gw01, running`,
      ]);
    } finally {
      await new Promise((resolve) => health.server.close(resolve));
    }
  });

  it('an unreachable device and an unreachable sink: fail, each saying why', async () => {
    const box = await writeBox('unreachable', {
      modbusPort: deadPort,
      influxUrl: `http://127.0.0.1:${deadPort}`,
    });
    const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
    expect(line(run, 'device press-3')[0]).toMatch(
      new RegExp(
        `^fail device press-3: nothing read from modbus 127\\.0\\.0\\.1:${deadPort}: .*ECONNREFUSED`,
      ),
    );
    expect(line(run, 'sink influx')[0]).toMatch(
      new RegExp(`^fail sink influx: cannot reach http://127\\.0\\.0\\.1:${deadPort}: .*ECONNREFUSED`),
    );
    expect(run.code).toBe(2);
  });

  it('a sink that refuses the credentials: fail', async () => {
    const box = await writeBox('credentials', { password: 'wrong-password' });
    const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
    expect(line(run, 'sink influx')[0]).toMatch(
      /^fail sink influx: InfluxDB \S+ at .* refused the credentials as shugai \(HTTP 401\)$/,
    );
  });

  it('a clock ten minutes off the time server: fail', async () => {
    const wrong = await startChrony({ serve: true, shiftSeconds: -600 });
    try {
      const box = await writeBox('clock');
      const run = await doctor(box.file, '--ntp', `127.0.0.1:${wrong.ntpPort}`);
      expect(line(run, 'clock')[0]).toMatch(
        /^fail clock: (59\d|6\d\d)\.\d s ahead of the time server .*: signed times would be wrong/,
      );
      expect(run.code).toBe(2);
    } finally {
      await wrong.stop();
    }
  });

  describe('disk space', () => {
    let disk: SmallDisk;
    beforeAll(async () => {
      disk = await mountSmallDisk(2 * 1024 * 1024);
    });
    afterAll(async () => {
      await disk?.unmount();
    });

    it('a disk smaller than maxBytes: warn, with the bound the buffer gets', async () => {
      const box = await writeBox('small-disk', { dataDir: path.join(disk.dir, 'data') });
      const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
      expect(line(run, 'disk')[0]).toMatch(
        /^warn disk: [\d.]+ MiB free of 2\.0 MiB under .*, minFree 256 KiB, buffer holds 0 B: the buffer can grow to [\d.]+ MiB, less than maxBytes 4\.0 MiB; the disk is its bound$/,
      );
      expect(run.code).toBe(1);
    });

    it('a full disk: fail', async () => {
      const box = await writeBox('full-disk', { dataDir: path.join(disk.dir, 'full') });
      fillDisk(disk.dir);
      const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`);
      expect(line(run, 'disk')[0]).toMatch(
        /^fail disk: 0 B free of 2\.0 MiB under .*: the buffer cannot take a sample/,
      );
      expect(run.code).toBe(2);
    });
  });

  it('a dataDir outside what the installed unit lets the gateway write: fail', async () => {
    const box = await writeBox('unit');
    const unit = path.join(dir, 'shugai-gateway.service');
    await writeFile(unit, '[Service]\nStateDirectory=shugai\nProtectSystem=strict\n');
    const run = await doctor(box.file, '--ntp', `127.0.0.1:${time.ntpPort}`, '--unit', unit);
    expect(line(run, 'permissions')).toContain(
      `fail permissions: dataDir ${box.dataDir} is outside what shugai-gateway.service lets the gateway write (/var/lib/shugai): move it there`,
    );
  });
});
