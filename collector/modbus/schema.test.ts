import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { modbusPlugin } from './modbus.ts';
import { modbusConnectionSchema } from './schema.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sampleText = readFileSync(path.join(here, 'sample.yaml'), 'utf8');
const readme = readFileSync(path.join(here, 'README.md'), 'utf8');

const base = {
  id: 'c1',
  protocol: 'modbus',
  transport: 'tcp',
  host: '127.0.0.1',
  addressBase: 0,
};
const withTag = (tag: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...base,
  ...extra,
  devices: [
    { id: 'press-3', unitId: 1, production: true, businessLinks: ['生产管控'], tags: [{ id: 't', ...tag }] },
  ],
});

function messages(config: unknown): string[] {
  const result = modbusConnectionSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

describe('Modbus config schema', () => {
  it('accepts the sample config and derives its devices', () => {
    const config = modbusConnectionSchema.parse(parse(sampleText));
    expect(config.transport).toBe('rtu');
    expect(modbusPlugin.devices(config).map((d) => [d.id, d.protocol, d.tags.length])).toEqual([
      ['meter-line1', 'modbus', 6],
      ['furnace-1', 'modbus', 5],
      ['press-3', 'modbus', 5],
    ]);
  });

  it('keeps the README config block equal to sample.yaml', () => {
    const block = /<!-- begin sample\.yaml -->\n```yaml\n([\s\S]*?)```\n<!-- end sample\.yaml -->/.exec(
      readme,
    );
    expect(block?.[1]).toBe(sampleText);
  });

  it('describes every field in the JSON Schema and documents each in the README', () => {
    const schema = z.toJSONSchema(modbusConnectionSchema, { io: 'input' });
    const names = new Set<string>();
    const visit = (node: unknown, name?: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [key, child] of Object.entries(n.properties)) {
          expect((child as { description?: string }).description, `field ${key}`).toBeTruthy();
          names.add(key);
          visit(child, key);
        }
      }
      for (const value of Object.values(n)) if (value !== n.properties) visit(value, name);
    };
    visit(schema);
    expect(names.size).toBeGreaterThan(30);
    for (const name of names) expect(readme, `README documents \`${name}\``).toContain(`\`${name}\``);
  });

  /** A tag of `type` on `register` at address 0, read as `dataType`, with `more` fields on top. */
  const tagOn = (register: string, type: string, dataType?: string, more: Record<string, unknown> = {}) => ({
    type,
    register,
    address: 0,
    ...(dataType === undefined ? {} : { dataType }),
    ...more,
  });
  it.each<[string, Record<string, unknown>, string, Record<string, unknown>?]>([
    ['holding without dataType', tagOn('holding', 'integer'), 'dataType is required for holding registers'],
    ['bool on a register', tagOn('input', 'boolean', 'bool'), 'bool is for coils and discrete inputs'],
    ['coil as int16', tagOn('coil', 'integer', 'int16'), 'a coil holds one bit: dataType must be bool'],
    ['bit without index', tagOn('holding', 'boolean', 'bit'), 'dataType bit needs bit (0–15)'],
    [
      'string without length',
      tagOn('holding', 'string', 'string'),
      'dataType string needs length (registers)',
    ],
    [
      '1-based address 0',
      tagOn('holding', 'integer', 'uint16'),
      'address 0 (1 × register) is outside 1–65536',
      { addressBase: 1 },
    ],
    [
      'float32 past the end',
      tagOn('holding', 'number', 'float32', { address: 65_535 }),
      'address 65535 (2 × register) is outside 0–65535',
    ],
    [
      '64-bit order on 32 bits',
      tagOn('holding', 'number', 'float32', { order: 'GHEFCDAB' }),
      'order GHEFCDAB is for 64-bit types only',
    ],
    [
      'float as integer',
      tagOn('holding', 'integer', 'float32'),
      'type integer cannot hold float32 (use number)',
    ],
    [
      'scaled integer',
      tagOn('holding', 'integer', 'int16', { scale: 0.1 }),
      'a tag with scale or offset is of type number',
    ],
    [
      'string too long',
      tagOn('holding', 'string', 'string', { length: 100 }),
      'length 100 exceeds maxReadRegisters 60',
      { maxReadRegisters: 60 },
    ],
  ])('rejects %s, naming the device and tag', (_, tag, message, extra = {}) => {
    expect(messages(withTag(tag, extra))).toEqual([`device "press-3" tag "t": ${message}`]);
  });

  it('rejects duplicate ids and a serial link without its settings', () => {
    const tag = { id: 't', type: 'integer', register: 'holding', address: 0, dataType: 'uint16' };
    const device = { id: 'd', unitId: 1, production: true, businessLinks: ['生产管控'], tags: [tag, tag] };
    expect(messages({ ...base, devices: [device, device] })).toEqual([
      'device "d" tag "t" is listed twice',
      'device "d" is listed twice',
      'device "d" tag "t" is listed twice',
    ]);
    const rtu = { ...base, transport: 'rtu', path: '/dev/ttyUSB0', devices: [{ ...device, tags: [tag] }] };
    expect(modbusConnectionSchema.safeParse(rtu).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'baudRate',
      'parity',
    ]);
  });
});
