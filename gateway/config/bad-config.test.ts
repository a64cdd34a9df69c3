// Bad configs and exactly what they are told: every refusal names the file, the line and the path,
// and says what is expected (never zod's bare "Invalid input"). Loaded with the real collectors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { BILLION_LAUGHS, BILLION_LAUGHS_REFUSAL } from '../../test/bad-input.ts';
import { runShugai } from '../../test/cli.ts';
import { ConfigError } from './errors.ts';
import { loadGatewayConfig } from './schema.ts';

const PLANT = `gateway:
  id: gw-01
buffer:
  maxBytes: 64MiB
  maxAge: 7d
  fsync: always
sinks:
  - { name: influx, type: influxdb, version: 1, url: 'http://127.0.0.1:8086', database: plant }
connections:
  - id: press-plc
    protocol: modbus
    transport: tcp
    host: 127.0.0.1
    addressBase: 0
    devices:
      - id: press-3
        unitId: 1
        production: true
        businessLinks: [生产管控]
        tags:
          - { id: strokes, type: integer, register: holding, address: 10, dataType: uint16 }
  - id: lathe-plc
    protocol: opcua
    endpoint: opc.tcp://127.0.0.1:4840
    groups:
      - { id: fast, mode: subscribe, intervalMs: 1000 }
    devices:
      - id: lathe-1
        production: true
        businessLinks: [生产管控]
        tags:
          - { id: speed, type: number, nodeId: 'nsu=urn:acme;s=Speed' }
derived:
  machineState:
    - device: press-3
      rules:
        - { state: running, when: { tag: strokes, op: '>', value: 0 } }
  counters:
    - { device: press-3, tag: strokes, output: strokes_total }
  oee:
    - device: press-3
      totalCount: strokes_total
      idealCycleTime: 12s
      shifts:
        - { name: day, start: '08:00', end: '20:00' }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-bad-config-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The refusal of PLANT with `from` replaced by `to`, with the file name as `plant.yaml`. */
async function refusal(from: string, to: string): Promise<string> {
  expect(PLANT).toContain(from);
  const file = path.join(dir, 'plant.yaml');
  await writeFile(file, PLANT.replace(from, to));
  try {
    loadGatewayConfig(file, PLUGINS, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.message.replaceAll(file, 'plant.yaml');
    throw error;
  }
  throw new Error(`accepted: ${from} → ${to}`);
}

const DURATION = 'a duration like 500ms, 30s, 5m, 1h, 1d or milliseconds';
const ADDRESS_BASE =
  '0 (protocol addresses: the first register is 0) or 1 (as device manuals number them: the first is 1)';

describe('a bad gateway config is told what is expected, with file, line and path', () => {
  it('loads the valid config these cases break', async () => {
    const file = path.join(dir, 'valid.yaml');
    await writeFile(file, PLANT);
    expect(loadGatewayConfig(file, PLUGINS, {}).buffer.maxBytes).toBe(64 * 1024 ** 2);
  });

  it.each([
    // Sizes and durations.
    [
      'maxBytes: 64MiB',
      'maxBytes: 5 parsecs',
      "plant.yaml:4 buffer.maxBytes: expected a size like 64MiB, 512KB or a number of bytes; got '5 parsecs'",
    ],
    [
      'maxBytes: 64MiB',
      'maxBytes: 1.5',
      'plant.yaml:4 buffer.maxBytes: expected a size like 64MiB, 512KB or a number of bytes; got 1.5',
    ],
    ['maxAge: 7d', 'maxAge: -1d', `plant.yaml:5 buffer.maxAge: expected ${DURATION}; got '-1d'`],
    ['maxAge: 7d', 'maxAge: -5', `plant.yaml:5 buffer.maxAge: expected ${DURATION}; got -5`],
    ['maxAge: 7d', 'maxAge: true', `plant.yaml:5 buffer.maxAge: expected ${DURATION}; got true`],
    [
      'idealCycleTime: 12s',
      'idealCycleTime: fast',
      `plant.yaml:43 derived.oee[0].idealCycleTime: expected ${DURATION}; got 'fast'`,
    ],
    ['      idealCycleTime: 12s\n', '', `plant.yaml:41 derived.oee[0].idealCycleTime: required: ${DURATION}`],
    // Unions name their alternatives, or the problem inside the one that was meant.
    [
      'fsync: always',
      'fsync: sometimes',
      "plant.yaml:6 buffer.fsync: expected 'always' or 'never' or {intervalMs}; got 'sometimes'",
    ],
    [
      'fsync: always',
      'fsync: { intervalMs: soon }',
      'plant.yaml:6 buffer.fsync: intervalMs: Invalid input: expected number, received string',
    ],
    [
      "nodeId: 'nsu=urn:acme;s=Speed'",
      'nodeId: 7',
      'plant.yaml:32 connections[1].devices[0].tags[0].nodeId: expected string or {namespaceUri, id}; got 7',
    ],
    [
      "when: { tag: strokes, op: '>', value: 0 }",
      'when: { stroke: 1 }',
      'plant.yaml:37 derived.machineState[0].rules[0].when: expected {tag, op, value} or {all} or {any}; got an object',
    ],
    [
      "when: { tag: strokes, op: '>', value: 0 }",
      'when: { tag: strokes, value: 0 }',
      "plant.yaml:37 derived.machineState[0].rules[0].when: op: required: one of '==', '!=', '>', '>=', '<', '<='",
    ],
    [
      "when: { tag: strokes, op: '>', value: 0 }",
      "when: { tag: strokes, op: '>', value: [0] }",
      'plant.yaml:37 derived.machineState[0].rules[0].when: value: expected number or boolean or string; got a list',
    ],
    // Choices (discriminators, 0 or 1) name their values.
    [
      'type: influxdb, version: 1,',
      'version: 1,',
      "plant.yaml:8 sinks[0].type: required: one of 'influxdb', 'victoriametrics', 'embedded', 'central'",
    ],
    ['version: 1,', 'version: 3,', 'plant.yaml:8 sinks[0].version: expected one of 1, 2; got 3'],
    [
      'transport: tcp',
      'transport: serial',
      "plant.yaml:12 connections[0].transport: expected one of 'tcp', 'rtu-over-tcp', 'rtu'; got 'serial'",
    ],
    ['    addressBase: 0\n', '', `plant.yaml:10 connections[0].addressBase: required: ${ADDRESS_BASE}`],
    [
      'addressBase: 0',
      'addressBase: 40001',
      `plant.yaml:14 connections[0].addressBase: expected ${ADDRESS_BASE}; got 40001`,
    ],
    [
      'transport: tcp\n    host: 127.0.0.1',
      'transport: rtu\n    path: /dev/ttyUSB0\n    baudRate: 9000\n    parity: none',
      'plant.yaml:14 connections[0].baudRate: expected a baud rate of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200; got 9000',
    ],
    // Missing fields are required; names, URLs and times say their form.
    [
      '        production: true\n        businessLinks: [生产管控]\n        tags:\n          - { id: strokes',
      '        businessLinks: [生产管控]\n        tags:\n          - { id: strokes',
      'plant.yaml:16 connections[0].devices[0].production: required: boolean',
    ],
    [
      'name: influx,',
      "name: 'my influx',",
      "plant.yaml:8 sinks[0].name: expected a name of letters, digits, _ . -; got 'my influx'",
    ],
    [
      "url: 'http://127.0.0.1:8086'",
      'url: influx-host',
      "plant.yaml:8 sinks[0].url: expected a URL like http://127.0.0.1:8086; got 'influx-host'",
    ],
    [
      '{ id: fast, mode',
      "{ id: 'fast lane', mode",
      'plant.yaml:26 connections[1].groups[0].id: ids are 1–64 characters: letters, digits, _ . - (not first)',
    ],
    [
      "start: '08:00'",
      'start: 8am',
      "plant.yaml:45 derived.oee[0].shifts[0].start: expected a time of day HH:MM (24-hour), e.g. 08:00 or 20:30; got '8am'",
    ],
    // zod's own messages that already say what is expected are kept.
    [
      'type: integer, register',
      'type: int, register',
      'plant.yaml:21 connections[0].devices[0].tags[0].type: Invalid option: expected one of "number"|"integer"|"boolean"|"string"',
    ],
    [
      'unitId: 1',
      'unitId: one',
      'plant.yaml:17 connections[0].devices[0].unitId: Invalid input: expected number, received string',
    ],
  ])('%s → %s', async (from, to, message) => {
    expect(await refusal(from, to)).toBe(message);
  });

  it('refuses an alias bomb as a config error at the alias where it passes the limit', async () => {
    // Inserted at line 33: its 7th line holds the alias that passes the limit.
    expect(await refusal('derived:', `${BILLION_LAUGHS}\nderived:`)).toBe(
      `plant.yaml:39: ${BILLION_LAUGHS_REFUSAL}`,
    );
  });
});

describe('the commands that read a config', { timeout: 180_000 }, () => {
  it('exit 2 on an alias bomb, naming the file and line (not 1 with no place)', async () => {
    const file = path.join(dir, 'bomb.yaml');
    await writeFile(file, `gateway:\n  id: gw-01\n${BILLION_LAUGHS}`);
    const expected = `shugai: configuration invalid:\n${file}:9: ${BILLION_LAUGHS_REFUSAL}\n`;
    const runs = await Promise.all([
      runShugai(['config', 'check', file]),
      runShugai(['gateway', '--config', file]),
      runShugai(['read', '--config', file, '--once']),
    ]);
    for (const run of runs) expect(run).toEqual({ code: 2, stdout: '', stderr: expected });
  });
});
