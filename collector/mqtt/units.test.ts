// The pure parts of the MQTT collector: config and its README, field paths, type coercion,
// payload timestamps, topic templates and the reconnect backoff.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { coerce, parseTimestamp } from './coerce.ts';
import { backoffDelay } from './connection.ts';
import { compilePath, getPath } from './path.ts';
import { mqttConfigSchema } from './schema.ts';
import { sampleBlock } from './testing.ts';
import { compileTemplate } from './topic.ts';

const NOW = Date.parse('2024-05-01T00:00:00Z');
const base = {
  id: 'c1',
  protocol: 'mqtt',
  url: 'mqtt://127.0.0.1:1883',
  clientId: 'gw',
  devices: [
    { id: 'd1', production: true, businessLinks: ['生产管控'], tags: [{ id: 't1', type: 'number' }] },
  ],
};
const issues = (config: Record<string, unknown>) => {
  const result = mqttConfigSchema.safeParse({ ...base, ...config });
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('MQTT config', () => {
  it('has README config block equal to sample.yaml, which the schema accepts', async () => {
    const sample = await readFile(new URL('./sample.yaml', import.meta.url), 'utf8');
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    expect(sampleBlock(readme)).toBe(sample);
    const config = mqttConfigSchema.parse(parse(sample));
    expect(config.subscriptions).toHaveLength(3);
    expect(config.tls?.rejectUnauthorized).toBe(true);
  });

  it('fills defaults: MQTT 5, QoS 1, a one-day session, 1–60 s backoff', () => {
    const config = mqttConfigSchema.parse({ ...base, subscriptions: [{ topic: 'a/{device}/{tag}' }] });
    expect(config).toMatchObject({
      protocolVersion: 5,
      sessionExpirySeconds: 86_400,
      reconnect: { initialDelayMs: 1000, maxDelayMs: 60_000 },
      subscriptions: [{ format: 'json', qos: 1 }],
    });
  });

  it('rejects unclear subscriptions and unsafe broker settings with messages that name the problem', () => {
    expect(issues({ subscriptions: [{ topic: 'a/{device}' }] })).toEqual([
      'give exactly one of: a {tag} level, a fixed tag, or fields',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/{device}/{tag}', device: 'd1' }] })).toEqual([
      'give either a {device} level in the topic or a fixed device, not both',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/b', device: 'd1', tag: 'nope' }] })).toEqual([
      'device d1 has no tag nope',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/{tag}', device: 'd2' }] })).toEqual([
      'no device d2 is configured',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/{device}/{tag}', timestamp: 'ts' }] })).toEqual([
      'timestamp and timestampFormat go together',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/{device}/{tag}', format: 'plain', value: 'v' }] })).toEqual([
      'value applies to JSON payloads only',
    ]);
    expect(issues({ subscriptions: [{ topic: 'a/x{device}/{tag}' }] })).toEqual([
      'topic template "a/x{device}/{tag}": level "x{device}" must be {device}, {tag}, +, a final #, or plain text',
    ]);
    const sub = { subscriptions: [{ topic: 'a/{device}/{tag}' }] };
    expect(issues({ ...sub, url: 'mqtt://u:p@host' })).toEqual([
      'put credentials in username/password, not in the URL',
    ]);
    expect(issues({ ...sub, tls: { ca: '/ca.pem' } })).toEqual([
      'tls settings need an mqtts://, ssl:// or wss:// URL',
    ]);
    expect(issues({ ...sub, url: 'mqtts://h', tls: { cert: '/c.pem' } })).toEqual([
      'tls.cert and tls.key go together',
    ]);
    expect(issues({ ...sub, url: 'http://h' })).toEqual([
      'broker URL scheme must be one of mqtt: mqtts: tcp: ssl: ws: wss:',
    ]);
  });
});

describe('field paths', () => {
  const payload = { data: { temperature: 41.5, list: [{ v: 1 }, { v: 2 }] }, 'a-b': true };
  it('reads nested keys and array indices, with or without $.', () => {
    expect(getPath(payload, compilePath('$.data.temperature'))).toBe(41.5);
    expect(getPath(payload, compilePath('data.list[1].v'))).toBe(2);
    expect(getPath(payload, compilePath('a-b'))).toBe(true);
    expect(getPath(payload, compilePath('$'))).toBe(payload);
    expect(getPath(payload, compilePath('data.missing.x'))).toBeUndefined();
    expect(getPath(payload, compilePath('data.list[5].v'))).toBeUndefined();
    expect(getPath(payload, compilePath('data.toString'))).toBeUndefined();
  });
  it('rejects malformed paths', () => {
    expect(() => compilePath('a..b')).toThrow('field path "a..b": empty or malformed segment ""');
    expect(() => compilePath('a[x]')).toThrow('malformed segment "a[x]"');
  });
});

describe('coercion to the declared type', () => {
  it('converts what fits exactly and refuses the rest', () => {
    expect(coerce(23.5, 'number')).toEqual({ value: 23.5 });
    expect(coerce(' -1.5e2 ', 'number')).toEqual({ value: -150 });
    expect(coerce('42', 'integer')).toEqual({ value: 42 });
    expect(coerce(2n ** 53n, 'integer')).toEqual({ error: '9007199254740992 is not a number' });
    expect(coerce(23.5, 'integer')).toEqual({ error: '23.5 is not an integer' });
    expect(coerce('abc', 'number')).toEqual({ error: '"abc" is not a number' });
    expect(coerce(true, 'number')).toEqual({ error: 'true is not a number' });
    // Not-a-number readings are numbers: ingest stores them as bad samples with their text.
    expect(coerce(Number.NaN, 'number')).toEqual({ value: Number.NaN });
    expect(coerce('1e999', 'number')).toEqual({ value: Number.POSITIVE_INFINITY });
    expect(coerce('-1e999', 'integer')).toEqual({ error: '"-1e999" is not an integer' });
    expect(coerce('TRUE', 'boolean')).toEqual({ value: true });
    expect(coerce(0, 'boolean')).toEqual({ value: false });
    expect(coerce(2, 'boolean')).toEqual({ error: '2 is not a boolean' });
    expect(coerce(7, 'string')).toEqual({ value: '7' });
    expect(coerce({ a: 1 }, 'string')).toEqual({ error: 'an object is not a string' });
  });
});

describe('payload timestamps', () => {
  it('reads epoch ms, epoch s and ISO 8601 with a zone', () => {
    expect(parseTimestamp(1_714_521_600_123, 'epoch_ms', NOW)).toBe(1_714_521_600_123);
    expect(parseTimestamp('1714521600.5', 'epoch_s', NOW)).toBe(1_714_521_600_500);
    expect(parseTimestamp('2024-05-01T08:00:00.250+08:00', 'iso8601', NOW)).toBe(NOW + 250);
    expect(parseTimestamp('2024-05-01T00:00:00Z', 'iso8601', NOW)).toBe(NOW);
  });
  it('refuses local times, seconds read as ms and times far ahead', () => {
    expect(parseTimestamp('2024-05-01T08:00:00', 'iso8601', NOW)).toEqual({
      error: 'timestamp "2024-05-01T08:00:00" is not ISO 8601 with a zone (Z or ±hh:mm)',
    });
    expect(parseTimestamp(1_714_521_600, 'epoch_ms', NOW)).toEqual({
      error: 'timestamp 1714521600 read as epoch_ms is out of range (wrong timestampFormat?)',
    });
    expect(parseTimestamp(NOW / 1000 + 2 * 86_400, 'epoch_s', NOW)).toHaveProperty('error');
  });
});

describe('topic templates', () => {
  it('turns placeholders into + and reads device and tag from matching topics', () => {
    const template = compileTemplate('plant/{device}/sensors/{tag}');
    expect(template.filter).toBe('plant/+/sensors/+');
    expect(template.match('plant/press-01/sensors/temp')).toEqual({ device: 'press-01', tag: 'temp' });
    expect(template.match('plant/press-01/actuators/temp')).toBeUndefined();
    expect(template.match('plant/press-01/sensors/temp/x')).toBeUndefined();
    const multi = compileTemplate('site/+/{device}/#');
    expect(multi.filter).toBe('site/+/+/#');
    expect(multi.match('site/a/oven-01/x/y')).toEqual({ device: 'oven-01' });
    expect(multi.match('site/a/oven-01')).toEqual({ device: 'oven-01' });
  });
  it('rejects placeholders used twice or inside a level', () => {
    expect(() => compileTemplate('{device}/{device}')).toThrow('{device} and {tag} may appear once each');
    expect(() => compileTemplate('a/#/b')).toThrow('level "#" must be');
  });
});

describe('reconnect backoff', () => {
  const settings = { initialDelayMs: 1000, maxDelayMs: 60_000 };
  it('doubles from the initial delay up to the cap, jittered to 50–100 %', () => {
    expect([0, 1, 2, 5, 6, 40].map((n) => backoffDelay(n, settings, () => 1))).toEqual([
      1000, 2000, 4000, 32_000, 60_000, 60_000,
    ]);
    expect(backoffDelay(3, settings, () => 0)).toBe(4000);
  });
});
