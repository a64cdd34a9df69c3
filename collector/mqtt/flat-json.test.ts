import { describe, expect, it, vi } from 'vitest';
import { MqttDecoder } from './decode.ts';
import { FlatNumbers } from './flat-json.ts';
import { mqttConfigSchema } from './schema.ts';

const KEYS = ['t0', 't1', 'ts', '__proto__', 'b'];

/** What JSON.parse makes of `text` for KEYS: undefined for a key without a number. */
function byJsonParse(text: string): (number | undefined)[] | 'invalid' {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  return KEYS.map((k) => {
    if (typeof root !== 'object' || root === null || Array.isArray(root) || !Object.hasOwn(root, k))
      return undefined;
    const v = (root as Record<string, unknown>)[k];
    return typeof v === 'number' ? v : undefined;
  });
}

/** What FlatNumbers reads, or 'refused'. */
function byFlat(text: string): (number | undefined)[] | 'refused' {
  const flat = new FlatNumbers(KEYS);
  if (!flat.read(Buffer.from(text))) return 'refused';
  return KEYS.map((_, slot) => flat.value(slot));
}

/** Every payload FlatNumbers reads, JSON.parse reads the same; one it refuses is left to JSON.parse. */
function agrees(text: string): void {
  const flat = byFlat(text);
  if (flat === 'refused') return;
  const parsed = byJsonParse(text);
  expect(parsed, text).not.toBe('invalid');
  expect(
    flat.map((v) => (Object.is(v, -0) ? '-0' : v)),
    text,
  ).toEqual((parsed as (number | undefined)[]).map((v) => (Object.is(v, -0) ? '-0' : v)));
}

describe('FlatNumbers', () => {
  it('reads the numbers of a flat object as JSON.parse does, keys in any order, the last of a duplicate', () => {
    expect(byFlat('{"t0":20,"t1":20.1,"ts":1764796400000}')).toEqual([
      20,
      20.1,
      1764796400000,
      undefined,
      undefined,
    ]);
    expect(byFlat(' {\n\t"ts" : 5 , "b":-0.5,"t0":1e3, "t0": 2 }\r\n')).toEqual([
      2,
      undefined,
      5,
      undefined,
      -0.5,
    ]);
    expect(byFlat('{"__proto__": 7, "other": 1}')).toEqual([undefined, undefined, undefined, 7, undefined]);
    expect(byFlat('{}')).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(Object.is((byFlat('{"t0":-0}') as number[])[0], -0)).toBe(true);
  });

  it('refuses what is not a flat object of numbers, valid JSON or not, so JSON.parse decides', () => {
    for (const text of [
      '',
      '5',
      '[1]',
      '{"t0":"20.1"}',
      '{"t0":true}',
      '{"t0":null}',
      '{"t0":{"v":1}}',
      '{"t0":[1]}',
      '{"t\\u0030":1}',
      '{"温度":1}',
      '{"t0":1,}',
      '{"t0":1 "t1":2}',
      '{"t0":01}',
      '{"t0":1.}',
      '{"t0":.5}',
      '{"t0":+1}',
      '{"t0":1e}',
      '{"t0":-}',
      '{"t0":1}x',
      '{"t0":1',
      '{"t0" 1}',
      '{t0:1}',
      '{"t0":NaN}',
      '{"t0":Infinity}',
    ])
      expect(byFlat(text), text).toBe('refused');
  });

  it('agrees with JSON.parse on numbers of every shape: long, tiny, huge, exponents, many decimals', () => {
    const numbers = [
      '0',
      '-0',
      '0.0',
      '7',
      '-7',
      '20.1',
      '0.1',
      '0.30000000000000004',
      '123456789012345',
      '1234567890123456',
      '12345678901234567890',
      '9007199254740993',
      '0.000001',
      '0.0000001',
      '0.00000000000000000000001234',
      '1.7976931348623157e308',
      '1e400',
      '-1E-400',
      '5e-324',
      '2.5E+3',
      '1.000000000000000000001',
      '99999999999999.99',
      '3.14159265358979323846',
      '1764796400000',
    ];
    for (const n of numbers) agrees(`{"t0":${n}}`);
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 20_000; i++) {
      const whole = Math.floor(random() * 10 ** Math.floor(random() * 17));
      const decimals = Math.floor(random() * 20);
      const fraction = Array.from({ length: decimals }, () => Math.floor(random() * 10)).join('');
      const text = `${random() < 0.3 ? '-' : ''}${whole}${decimals > 0 ? `.${fraction}` : ''}`;
      agrees(`{"b":${text},"t1":${(random() * 1000).toFixed(2)}}`);
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      agrees(`{"ts":${JSON.stringify(x)}}`);
    }
  });

  it('keeps nothing of a payload it refused, nor of the one before', () => {
    const flat = new FlatNumbers(KEYS);
    expect(flat.read(Buffer.from('{"t0":1,"t1":2}'))).toBe(true);
    expect(flat.read(Buffer.from('{"t0":3,"t1":"x"}'))).toBe(false);
    expect(flat.read(Buffer.from('{"ts":4}'))).toBe(true);
    expect(KEYS.map((_, slot) => flat.value(slot))).toEqual([undefined, undefined, 4, undefined, undefined]);
  });
});

describe('the MQTT decoder with flat numbers', () => {
  const config = mqttConfigSchema.parse({
    id: 'line1',
    protocol: 'mqtt',
    url: 'mqtt://127.0.0.1:1883',
    clientId: 'flat-test',
    subscriptions: [
      {
        topic: 'plant/{device}/all',
        fields: { speed: 'v', count: 'n', on: 'on', label: 'label' },
        timestamp: 'ts',
        timestampFormat: 'epoch_ms',
      },
      { topic: 'plant/{device}/{tag}', value: 'v', timestamp: 'ts', timestampFormat: 'epoch_s' },
    ],
    devices: [
      {
        id: 'press-01',
        production: true,
        businessLinks: ['生产管控'],
        tags: [
          { id: 'speed', type: 'number' },
          { id: 'count', type: 'integer' },
          { id: 'on', type: 'boolean' },
          { id: 'label', type: 'string' },
        ],
      },
    ],
  });
  const at = 1_764_796_400_000;

  it('decodes a flat payload read without JSON.parse exactly as the same payload through JSON.parse', () => {
    const payloads: [string, string][] = [
      ['plant/press-01/all', `{"v":23.47,"n":12,"on":1,"label":5,"ts":${at}}`],
      ['plant/press-01/all', ` { "ts" : ${at} , "v" : -0.5 , "v" : 1e2 }`],
      ['plant/press-01/all', `{"v":1,"n":1.5,"on":2,"ts":${at}}`],
      ['plant/press-01/all', `{"v":1,"ts":${at / 1000}}`],
      ['plant/press-01/all', '{"v":1}'],
      ['plant/press-01/all', '{}'],
      ['plant/press-01/speed', `{"v":20.1,"ts":${at / 1000}}`],
      ['plant/press-01/count', `{"v":12345678901234567890,"ts":${at / 1000}}`],
    ];
    const read = vi.spyOn(FlatNumbers.prototype, 'read');
    /** The payload decoded, having checked whether it was read flat. */
    const decoded = (topic: string, text: string, readFlat: boolean) => {
      read.mockClear();
      const out = new MqttDecoder(config).decode(topic, Buffer.from(text), at);
      expect(
        read.mock.results.map((r) => r.value),
        text,
      ).toEqual([readFlat]);
      return out;
    };
    for (const [topic, payload] of payloads) {
      const flat = decoded(topic, payload, true);
      // A string member the subscription does not read sends the payload through JSON.parse.
      const viaJson = /^\{\s*\}$/.test(payload) ? '{"unit":"°C"}' : payload.replace('{', '{"unit":"°C",');
      expect(flat, payload).toEqual(decoded(topic, viaJson, false));
      expect(flat.samples.length + flat.problems.length, payload).toBeGreaterThan(0);
    }
    read.mockRestore();
  });
});
