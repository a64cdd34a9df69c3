// `shugai read` as a user runs it: the real CLI in a child process, a gateway config file, a pymodbus
// Modbus TCP server, node-opcua's server and a Mosquitto broker holding retained messages.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runShugai } from '../test/cli.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../test/services/mosquitto.ts';
import { freePort } from '../test/services/ports.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../test/services/pymodbus.ts';
import { PLANT_NS, TestServer } from './opcua/test-server.ts';

// Each test awaits a CLI run started in beforeAll; five at once take half a minute on a busy 2-core box.
const RUN_TIMEOUT_MS = 300_000;
const available = mosquittoBinary.available && pymodbusBinary.available;

let dir: string;
let modbus: PymodbusServer;
let broker: Mosquitto;
let opcua: TestServer;
let deadPort: number;

const shugai = (...args: string[]) => runShugai(args);

/** A gateway config (the format of gateway/sample.yaml) with the given connections block. */
async function writeConfig(name: string, connections: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    ['gateway:', '  id: test-gw', `  dataDir: ${path.join(dir, 'data')}`, 'connections:', connections].join(
      '\n',
    ),
  );
  return file;
}

const modbusConnection = (id: string, port: number, devices: string) =>
  [
    `  - id: ${id}`,
    '    protocol: modbus',
    '    transport: tcp',
    '    host: 127.0.0.1',
    `    port: ${port}`,
    '    addressBase: 0',
    '    timeoutMs: 300',
    '    devices:',
    devices,
  ].join('\n');

const PRESS = [
  '      - id: press-3',
  '        unitId: 1',
  '        production: true',
  '        businessLinks: [生产管控, 设备管理]',
  '        tags:',
  '          - { id: spindle_on, type: boolean, register: coil, address: 0 }',
  '          - { id: alarm, type: boolean, register: coil, address: 1 }',
  '          - { id: stroke_count, type: integer, register: holding, address: 10, dataType: uint16 }',
  '          - { id: oil_temp, type: number, unit: degC, register: input, address: 5, dataType: int16, scale: 0.1 }',
].join('\n');

const mqttConnection = (url: string, topic = 'factory/{device}/{tag}') =>
  [
    '  - id: line-mqtt',
    '    protocol: mqtt',
    `    url: ${url}`,
    '    clientId: test-gw-line',
    '    subscriptions:',
    `      - { topic: '${topic}', format: plain }`,
    '    devices:',
    '      - id: oven-01',
    '        production: true',
    '        businessLinks: [生产管控, 能耗管理]',
    '        tags:',
    '          - { id: zone1_temp, type: number, unit: degC }',
    '          - { id: door_open, type: boolean }',
  ].join('\n');

const device = (id: string, unitId: number, tag: string) =>
  [
    `      - id: ${id}`,
    `        unitId: ${unitId}`,
    '        production: true',
    '        businessLinks: [生产管控]',
    '        tags:',
    `          - ${tag}`,
  ].join('\n');

const UNREACHABLE = () =>
  [
    modbusConnection('press-plc', modbus.port, PRESS),
    // Unit 9 is not served: pymodbus does not answer it, like a dead slave behind a gateway.
    modbusConnection(
      'press-plc-2',
      modbus.port,
      device(
        'press-9',
        9,
        '{ id: stroke_count, type: integer, register: holding, address: 10, dataType: uint16 }',
      ),
    ),
    // Nothing listens on this port.
    modbusConnection(
      'press-plc-3',
      deadPort,
      device('press-7', 1, '{ id: spindle_on, type: boolean, register: coil, address: 0 }'),
    ),
  ].join('\n');

// One tag at an address the PLC does not have, one device whose unit id nobody answers, an OPC UA
// node the server does not have and one in a namespace it lacks: each is named with its reason.
const REASONS = () =>
  [
    modbusConnection(
      'press-plc',
      modbus.port,
      device(
        'press-3',
        1,
        '{ id: stroke_count, type: integer, register: holding, address: 10, dataType: uint16 }\n' +
          '          - { id: die_temp, type: integer, register: holding, address: 500, dataType: uint16 }',
      ),
    ),
    modbusConnection(
      'press-plc-2',
      modbus.port,
      device(
        'press-9',
        9,
        '{ id: strokes, type: integer, register: holding, address: 10, dataType: uint16 }',
      ),
    ),
    [
      '  - id: lathe-plc',
      '    protocol: opcua',
      `    endpoint: ${opcua.endpointUrl}`,
      '    securityMode: None',
      '    securityPolicy: None',
      `    pkiDir: ${path.join(dir, 'opcua-pki')}`,
      '    devices:',
      '      - id: lathe-1',
      '        production: true',
      '        businessLinks: [生产管控]',
      '        tags:',
      `          - { id: temperature, type: number, nodeId: 'nsu=${PLANT_NS};s=Temperature' }`,
      `          - { id: spindle, type: number, nodeId: 'nsu=${PLANT_NS};s=Spindle' }`,
      "          - { id: feed, type: number, nodeId: 'nsu=urn:shugai:test:nowhere;s=Feed' }",
    ].join('\n'),
  ].join('\n');

const INVALID = () =>
  modbusConnection(
    'press-plc',
    modbus.port,
    device('press-3', 1, '{ id: stroke_count, type: integr, register: holding, address: 10 }'),
  );

interface Printed {
  samples: {
    device: string;
    tag: string;
    value: unknown;
    quality: string;
    statusCode: number;
    sourceTime: number;
  }[];
  problems: string[];
}

/** The bad samples as printed: which tag, its status and the reason given for it. */
const badOnes = (out: Printed) =>
  out.samples
    .filter((s) => s.quality !== 'good')
    .map((s) => [s.device, s.tag, s.quality, s.statusCode, (s as { reason?: string }).reason]);

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-read-cli-'));
  deadPort = await freePort();
  modbus = await startPymodbusTcp({
    units: {
      1: {
        coils: { blocks: { 0: [1, 0] } },
        holding: { values: [{ address: 10, type: 'uint16', value: 4321 }] },
        input: { values: [{ address: 5, type: 'int16', value: -235 }] },
      },
    },
  });
  broker = await startMosquitto();
  opcua = await TestServer.start({ port: await freePort(), pkiDir: path.join(dir, 'opcua-server-pki') });
  const client = await connectAsync(broker.url, { clientId: 'read-cli-test-publisher' });
  await client.publishAsync('factory/oven-01/zone1_temp', '180.5', { qos: 1, retain: true });
  await client.publishAsync('factory/oven-01/door_open', 'false', { qos: 1, retain: true });
  // In another hall, oven-02 has a door sensor that published, and a zone1_temp that never did.
  await client.publishAsync('hall2/oven-02/door_open', 'false', { qos: 1, retain: true });
  await client.endAsync();
}, 30_000);

afterAll(async () => {
  await modbus?.stop();
  await broker?.stop();
  await opcua?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('shugai read', { timeout: RUN_TIMEOUT_MS }, () => {
  let plant: string;
  // Each run starts the whole CLI (seconds on a busy box): they are independent, so they run together.
  const runs = {} as Record<
    'json' | 'unreachable' | 'table' | 'invalid' | 'unknownDevice' | 'reasons' | 'reasonsTable',
    Promise<CliRun>
  >;
  let startedAt: number;
  beforeAll(async () => {
    startedAt = Date.now();
    plant = await writeConfig(
      'plant.yaml',
      [modbusConnection('press-plc', modbus.port, PRESS), mqttConnection(broker.url)].join('\n'),
    );
    runs.json = shugai('read', '--config', plant, '--once', '--format', 'json');
    runs.unreachable = writeConfig('unreachable.yaml', UNREACHABLE()).then((file) =>
      shugai('read', '--config', file, '--format', 'json', '--timeout', '1500'),
    );
    const reasons = writeConfig('reasons.yaml', REASONS());
    runs.reasons = reasons.then((file) => shugai('read', '--config', file, '--once', '--format', 'json'));
    runs.reasonsTable = reasons.then((file) => shugai('read', '--config', file, '--once'));
    runs.invalid = writeConfig('invalid.yaml', INVALID()).then((file) =>
      shugai('read', '--config', file, '--format', 'json'),
    );
    runs.unknownDevice = shugai('read', '--config', plant, '--device', 'press-99');
    // Subscribed to every hall: oven-01's messages arrive as well, for a device this config lacks.
    const silent = [
      modbusConnection('press-plc', modbus.port, PRESS),
      mqttConnection(broker.url, '+/{device}/{tag}').replaceAll('oven-01', 'oven-02'),
    ].join('\n');
    runs.table = writeConfig('silent.yaml', silent).then((file) =>
      shugai('read', '--config', file, '--format', 'table', '--device', 'oven-02', '--timeout', '1500'),
    );
  });

  it('reads every tag once and prints the samples as JSON; exit 0 when all are good', async () => {
    const run = await runs.json;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Printed;
    expect(out.problems).toEqual([]);
    expect(out.samples.map((s) => [s.device, s.tag, s.value, s.quality, s.statusCode])).toEqual([
      ['oven-01', 'door_open', false, 'good', 0],
      ['oven-01', 'zone1_temp', 180.5, 'good', 0],
      ['press-3', 'alarm', false, 'good', 0],
      ['press-3', 'oil_temp', -23.5, 'good', 0],
      ['press-3', 'spindle_on', true, 'good', 0],
      ['press-3', 'stroke_count', 4321, 'good', 0],
    ]);
    for (const sample of out.samples) {
      expect(sample.sourceTime).toBeGreaterThanOrEqual(startedAt);
      expect(sample.sourceTime).toBeLessThanOrEqual(Date.now());
    }
  });

  it('exits 1 when a device is unreachable: its samples bad, with problem lines saying why', async () => {
    const run = await runs.unreachable;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as Printed;
    expect(out.samples.map((s) => [s.device, s.tag, s.value, s.quality, s.statusCode])).toEqual([
      ['press-3', 'alarm', false, 'good', 0],
      ['press-3', 'oil_temp', -23.5, 'good', 0],
      ['press-3', 'spindle_on', true, 'good', 0],
      ['press-3', 'stroke_count', 4321, 'good', 0],
      ['press-7', 'spindle_on', false, 'bad', 0x101],
      ['press-9', 'stroke_count', 0, 'bad', 0x100],
    ]);
    expect(out.problems).toEqual([
      'press-plc-2: press-9/stroke_count: bad: timeout: no response from unit 9 within 300 ms (a wrong unit id, or the device is off)',
      `press-plc-3: Modbus link tcp://127.0.0.1:${deadPort} is down: connect ECONNREFUSED 127.0.0.1:${deadPort}`,
      'press-plc-3: press-7/spindle_on: bad: not connected: the link to the device is down',
    ]);
  });

  it('prints a table; --device reads that device only; a tag never heard from fails the read', async () => {
    const run = await runs.table;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    // The source time is the read time: check its form, then the rest exactly.
    const iso = / {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    expect(iso.test(lines[1] ?? '')).toBe(true);
    expect(lines.map((l) => l.replace(iso, '').trimEnd())).toEqual([
      'device   tag        value  quality  status  source time',
      'oven-02  door_open  false  good',
      // oven-01's retained messages match the subscription too: reported, not a failure by themselves.
      '! line-mqtt: message for a device that is not configured',
      '! line-mqtt: oven-02/zone1_temp: no value received within 1500 ms',
    ]);
  });

  const NO_NODE =
    'BadNodeIdUnknown (The node id refers to a node that does not exist in the server address space)';
  const REASON_LINES = [
    // No sample at all: what the collector said of the tag, not the wait that ran out.
    'lathe-plc: lathe-1/feed: the server has no namespace "urn:shugai:test:nowhere"',
    `lathe-plc: lathe-1/spindle: bad: ${NO_NODE}`,
    'press-plc-2: press-9/strokes: bad: timeout: no response from unit 9 within 300 ms (a wrong unit id, or the device is off)',
    'press-plc: press-3/die_temp: bad: exception 2 ILLEGAL DATA ADDRESS',
  ];

  it('names each bad tag with the reason its protocol gives, in JSON', async () => {
    const run = await runs.reasons;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as Printed;
    expect(badOnes(out)).toEqual([
      ['lathe-1', 'spindle', 'bad', 0x80340000, NO_NODE],
      ['press-3', 'die_temp', 'bad', 2, 'exception 2 ILLEGAL DATA ADDRESS'],
      [
        'press-9',
        'strokes',
        'bad',
        0x100,
        'timeout: no response from unit 9 within 300 ms (a wrong unit id, or the device is off)',
      ],
    ]);
    // The good tags beside them are read as usual.
    expect(out.samples.filter((s) => s.quality === 'good').map((s) => [s.device, s.tag, s.value])).toEqual([
      ['lathe-1', 'temperature', expect.any(Number)],
      ['press-3', 'stroke_count', 4321],
    ]);
    expect(out.problems).toEqual(REASON_LINES);
  });

  it('names each bad tag with its reason in the table too', async () => {
    const run = await runs.reasonsTable;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('! '))).toEqual(REASON_LINES.map((l) => `! ${l}`));
    expect(lines.find((l) => l.startsWith('press-3  die_temp'))).toMatch(/^press-3 +die_temp +0 +bad +0x2 /);
  });

  it('exits 2 on an invalid config, naming the file, line and field', async () => {
    const run = await runs.invalid;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'shugai: configuration invalid:\n' +
        `${path.join(dir, 'invalid.yaml')}:18 connections[0].devices[0].tags[0].type: ` +
        'Invalid option: expected one of "number"|"integer"|"boolean"|"string"\n',
    );
  });

  it('exits 2 on an unknown --device', async () => {
    const run = await runs.unknownDevice;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`shugai: no device "press-99" in ${plant}\n`);
  });
});
