// The Sparkplug B host without a broker: config and its README, the address rule, topics, and the
// session rules (seq wrapping, bdSeq, rebirth limits, historical, transient and null metrics).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sampleBlock } from '../mqtt/testing.ts';
import { DataType, decodePayload, encodePayload, type Metric, type Payload, reinterpret } from './codec.ts';
import { type SparkplugbConfig, sparkplugAddress, sparkplugbConfigSchema } from './schema.ts';
import { HostSession, STATUS_NO_COMMUNICATION } from './session.ts';
import { type MessageType, parseTopic, sanitizeMetricName } from './topic.ts';

const links = ['生产管控'];
const base = {
  id: 'spb',
  protocol: 'sparkplugb',
  url: 'mqtt://127.0.0.1:1883',
  clientId: 'host',
  groups: ['G'],
  rebirthMinIntervalMs: 1000,
  devices: [
    { id: 'N1', production: true, businessLinks: links, tags: [{ id: 'Speed', type: 'integer' }] },
    {
      id: 'N1.D1',
      production: true,
      businessLinks: links,
      tags: [{ id: 'temp', type: 'number', metric: 'Temp/PV' }],
    },
  ],
};
const config = (extra: Record<string, unknown> = {}): SparkplugbConfig =>
  sparkplugbConfigSchema.parse({ ...base, ...extra });

describe('Sparkplug B config', () => {
  it('has README config block equal to sample.yaml, which the schema accepts', async () => {
    const sample = await readFile(new URL('./sample.yaml', import.meta.url), 'utf8');
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    expect(sampleBlock(readme)).toBe(sample);
    const parsed = sparkplugbConfigSchema.parse(parse(sample));
    expect(parsed.devices.map((d) => sparkplugAddress(parsed, d))).toEqual([
      { group: 'Plant1', node: 'Line1', device: undefined },
      { group: 'Plant1', node: 'Line1', device: 'Press1' },
      { group: 'Plant1', node: 'Line1', device: 'Oven 2' },
    ]);
  });

  it('rejects ambiguous or clashing addresses', () => {
    const messages = (extra: Record<string, unknown>) => {
      const result = sparkplugbConfigSchema.safeParse({ ...base, ...extra });
      return result.success ? [] : result.error.issues.map((i) => i.message);
    };
    expect(messages({ groups: ['G', 'H'] })).toEqual([
      'device N1: give group (several groups are configured)',
      'device N1.D1: give group (several groups are configured)',
    ]);
    const clash = {
      id: 'other',
      production: true,
      businessLinks: links,
      node: 'N1',
      device: 'D1',
      tags: [{ id: 'x', type: 'number' }],
    };
    expect(messages({ devices: [...base.devices, clash] })).toEqual([
      'devices N1.D1 and other map to the same Sparkplug address',
    ]);
    expect(messages({ groups: ['G/x'] })).toEqual(['group must be non-empty without / + #']);
  });
});

describe('Sparkplug topics', () => {
  it('parses edge, device and STATE topics and refuses malformed ones', () => {
    expect(parseTopic('spBv1.0/G/NDATA/N1')).toEqual({ kind: 'edge', group: 'G', type: 'NDATA', node: 'N1' });
    expect(parseTopic('spBv1.0/G/DDATA/N1/D 1')).toEqual({
      kind: 'edge',
      group: 'G',
      type: 'DDATA',
      node: 'N1',
      device: 'D 1',
    });
    expect(parseTopic('spBv1.0/STATE/host')).toEqual({ kind: 'state', hostId: 'host' });
    expect(parseTopic('STATE/host')).toEqual({ kind: 'state', hostId: 'host' });
    expect(parseTopic('spBv1.0/G/DDATA/N1')).toBeUndefined();
    expect(parseTopic('spBv1.0/G/NDATA/N1/D1')).toBeUndefined();
    expect(parseTopic('spBv1.0/G/XDATA/N1')).toBeUndefined();
    expect(parseTopic('other/G/NDATA/N1')).toBeUndefined();
  });
  it('sanitizes metric names into tag ids', () => {
    expect(sanitizeMetricName('Node Control/Rebirth')).toBe('Node_Control_Rebirth');
    expect(sanitizeMetricName('温度/PV')).toBe('___PV');
  });
});

describe('codec additions', () => {
  it('reads untyped values with the birth datatype and encodes untyped values by their JS type', () => {
    expect(reinterpret(0xfe, DataType.Int8)).toBe(-2);
    expect(reinterpret(0xffff_fffe, DataType.Int32)).toBe(-2);
    expect(reinterpret(18_446_744_073_709_551_614n, DataType.Int64)).toBe(-2);
    expect(reinterpret(5, DataType.UInt16)).toBe(5);
    const metrics: Metric[] = [
      { alias: 1, value: true },
      { alias: 2, value: 'x' },
      { alias: 3, value: 7 },
      { alias: 4, value: 1.25 },
      { alias: 5, value: 2 ** 40 },
    ];
    expect(decodePayload(encodePayload({ seq: 1, metrics })).metrics).toEqual(metrics);
  });
});

describe('host session', () => {
  const T = 1_700_000_000_000;
  const edge = (type: MessageType, device?: string) => ({
    group: 'G',
    type,
    node: 'N1',
    ...(device ? { device } : {}),
  });
  const birth = (seq = 0, bdSeq = 1): Payload => ({
    timestamp: T,
    seq,
    metrics: [
      { name: 'bdSeq', datatype: DataType.Int64, value: bdSeq },
      { name: 'Speed', alias: 1, datatype: DataType.Int32, value: 10 },
    ],
  });
  const dbirth = (seq: number): Payload => ({
    timestamp: T,
    seq,
    metrics: [{ name: 'Temp/PV', alias: 2, datatype: DataType.Float, value: 20.5 }],
  });
  const values = (session: HostSession, type: MessageType, payload: Payload, device?: string) =>
    session.handle(edge(type, device), payload, T + 5);

  it('follows seq from 255 back to 0 and drops the message after a gap', () => {
    const session = new HostSession(config());
    values(session, 'NBIRTH', birth(250));
    for (let seq = 251; seq <= 255; seq++)
      values(session, 'NDATA', { seq, metrics: [{ alias: 1, value: seq }] });
    const wrapped = values(session, 'NDATA', { seq: 0, metrics: [{ alias: 1, value: 1000 }] });
    expect(wrapped.samples.map((s) => s.value)).toEqual([1000]);
    const gap = values(session, 'NDATA', { seq: 2, metrics: [{ alias: 1, value: 1002 }] });
    expect(gap.samples).toEqual([]);
    expect(gap.problems.map((p) => [p.device, p.kind])).toEqual([['N1', 'seq_gap']]);
    expect(gap.rebirth).toEqual({ group: 'G', node: 'N1', device: 'N1' });
    // Untrusted until the next NBIRTH; the rebirth request is not repeated within the interval.
    const after = values(session, 'NDATA', { seq: 3, metrics: [{ alias: 1, value: 1003 }] });
    expect(after.problems.map((p) => p.kind)).toEqual(['data_before_birth']);
    expect(after.rebirth).toBeUndefined();
  });

  it('ignores an NDEATH with another bdSeq and kills node and devices on the matching one', () => {
    const session = new HostSession(config());
    values(session, 'NBIRTH', birth(0, 7));
    values(session, 'DBIRTH', dbirth(1), 'D1');
    const stale = values(session, 'NDEATH', {
      metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 6 }],
    });
    expect(stale).toEqual({ samples: [], problems: [], online: [] });
    const death = values(session, 'NDEATH', {
      metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 7 }],
    });
    expect(
      death.samples.map((s) => [s.device, s.tag, s.value, s.quality, s.statusCode, s.sourceTime]),
    ).toEqual([
      ['N1', 'Speed', 10, 'bad', STATUS_NO_COMMUNICATION, T + 5],
      ['N1.D1', 'temp', 20.5, 'bad', STATUS_NO_COMMUNICATION, T + 5],
    ]);
    expect(death.online).toEqual([
      { device: 'N1', online: false },
      { device: 'N1.D1', online: false },
    ]);
  });

  it('believes a DDEATH that arrives out of sequence, and still asks for a rebirth', () => {
    const session = new HostSession(config());
    values(session, 'NBIRTH', birth());
    values(session, 'DBIRTH', dbirth(1), 'D1');
    const death = values(session, 'DDEATH', { seq: 9, metrics: [] }, 'D1');
    expect(death.samples.map((s) => [s.device, s.tag, s.value, s.quality])).toEqual([
      ['N1.D1', 'temp', 20.5, 'bad'],
    ]);
    expect(death.problems.map((p) => [p.device, p.kind])).toEqual([
      ['N1.D1', 'death'],
      ['N1.D1', 'seq_gap'],
    ]);
    expect(death.rebirth).toEqual({ group: 'G', node: 'N1', device: 'N1.D1' });
  });

  it('delivers historical metrics without changing the last value, skips transient ones, and marks null bad', () => {
    const session = new HostSession(config());
    values(session, 'NBIRTH', birth());
    const out = values(session, 'NDATA', {
      seq: 1,
      metrics: [
        { alias: 1, value: 11, timestamp: T + 1 },
        { alias: 1, value: 5, timestamp: T - 60_000, isHistorical: true },
        { alias: 1, value: 99, isTransient: true },
        { alias: 1, value: null, timestamp: T + 2 },
      ],
    });
    expect(out.samples.map((s) => [s.value, s.quality, s.sourceTime])).toEqual([
      [11, 'good', T + 1],
      [5, 'good', T - 60_000],
      [11, 'bad', T + 2],
    ]);
  });

  it('counts a value that does not fit the tag type as malformed, per device and tag', () => {
    const session = new HostSession(config());
    values(session, 'NBIRTH', birth());
    const out = values(session, 'NDATA', { seq: 1, metrics: [{ alias: 1, value: 'fast' }] });
    expect(out.samples).toEqual([]);
    expect(out.problems).toMatchObject([
      { device: 'N1', tag: 'Speed', kind: 'malformed_payload', reason: 'wrong_type' },
    ]);
  });
});
