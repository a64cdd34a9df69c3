/**
 * The register layout the tests serve from pymodbus, the tags that read it and the values they
 * must give. pymodbus encodes the typed values itself (BinaryPayloadBuilder), so a match shows the
 * decoder agrees with an independent encoder, not with itself.
 */
import type { SampleValue } from '../../core/model.ts';
import type { LayoutValue, PymodbusLayout } from '../../test/services/pymodbus.ts';
import type { ByteOrder } from './codec.ts';
import { type ModbusConnectionConfig, modbusConnectionSchema } from './schema.ts';

type Endian = 'big' | 'little';
/** Our order names → pymodbus (byteorder, wordorder). */
const ORDERS32: [ByteOrder, Endian, Endian][] = [
  ['ABCD', 'big', 'big'],
  ['CDAB', 'big', 'little'],
  ['BADC', 'little', 'big'],
  ['DCBA', 'little', 'little'],
];
const ORDERS64: [ByteOrder, Endian, Endian][] = [
  ['ABCDEFGH', 'big', 'big'],
  ['GHEFCDAB', 'big', 'little'],
  ['BADCFEHG', 'little', 'big'],
  ['HGFEDCBA', 'little', 'little'],
];

interface Entry {
  tag: Record<string, unknown> & { id: string };
  value?: LayoutValue;
  expected: SampleValue;
}

const entries: Entry[] = [];
const add = (tag: Entry['tag'], expected: SampleValue, value?: LayoutValue) =>
  entries.push({ tag, value, expected });
const holding = (id: string, type: string, address: number, dataType: string, extra: object = {}) => ({
  id,
  type,
  register: 'holding',
  address,
  dataType,
  ...extra,
});

/**
 * A holding-register tag whose value pymodbus encodes: `raw` is what goes into the builder (the
 * same as the expected value unless scaled), `endian` the pymodbus byte and word order.
 */
function typed(
  id: string,
  type: string,
  address: number,
  dataType: 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64',
  expected: SampleValue,
  options: { order?: ByteOrder; endian?: [Endian, Endian]; raw?: number | string; tag?: object } = {},
): void {
  const [byteorder, wordorder] = options.endian ?? ['big', 'big'];
  const raw = options.raw ?? expected;
  const order = options.order === undefined ? {} : { order: options.order };
  // 64-bit integers go to pymodbus as decimal strings (JSON numbers stop being exact at 2^53).
  const value = dataType.endsWith('int64') ? String(raw) : raw;
  const layout = { address, type: dataType, value, byteorder, wordorder } as LayoutValue;
  add(holding(id, type, address, dataType, { ...order, ...options.tag }), expected, layout);
}

typed('i16_AB', 'integer', 0, 'int16', -12345);
typed('i16_BA', 'integer', 1, 'int16', -12345, { order: 'BA', endian: ['little', 'big'] });
typed('u16_AB', 'integer', 2, 'uint16', 54321);
typed('u16_BA', 'integer', 3, 'uint16', 54321, { order: 'BA', endian: ['little', 'big'] });
typed('f16', 'number', 4, 'float16', 1.5);
ORDERS32.forEach(([order, byteorder, wordorder], k) => {
  const endian: [Endian, Endian] = [byteorder, wordorder];
  typed(`i32_${order}`, 'integer', 10 + 2 * k, 'int32', -123456789, { order, endian });
  typed(`u32_${order}`, 'integer', 18 + 2 * k, 'uint32', 4000000000, { order, endian });
  typed(`f32_${order}`, 'number', 26 + 2 * k, 'float32', -1234.5, { order, endian });
});
ORDERS64.forEach(([order, byteorder, wordorder], k) => {
  const endian: [Endian, Endian] = [byteorder, wordorder];
  typed(`i64_${order}`, 'string', 40 + 4 * k, 'int64', '-9007199254740993', { order, endian });
  typed(`u64_${order}`, 'string', 56 + 4 * k, 'uint64', '18446744073709551615', { order, endian });
  typed(`f64_${order}`, 'number', 72 + 4 * k, 'float64', -98765.4321, { order, endian });
});
typed('i64_small', 'integer', 88, 'int64', -42);
// 92–95 are not served: a read over them answers exception 02.
add(holding('str_utf8', 'string', 96, 'string', { length: 6 }), 'AB-12 中', {
  address: 96,
  type: 'string',
  value: 'AB-12 中',
  length: 6,
});
add(holding('str_swapped', 'string', 102, 'string', { length: 4, order: 'BA' }), 'Lathe-01', {
  address: 102,
  type: 'string',
  value: 'Lathe-01',
  length: 4,
  swapBytes: true,
});
add(holding('str_gbk', 'string', 106, 'string', { length: 2, encoding: 'gbk' }), '车床', {
  address: 106,
  type: 'string',
  value: '车床',
  length: 2,
  encoding: 'gbk',
});
add(holding('status', 'integer', 108, 'uint16'), 0x8005);
add(holding('bit0', 'boolean', 108, 'bit', { bit: 0 }), true);
add(holding('bit1', 'boolean', 108, 'bit', { bit: 1 }), false);
add(holding('bit2', 'boolean', 108, 'bit', { bit: 2 }), true);
add(holding('bit15', 'boolean', 108, 'bit', { bit: 15 }), true);
typed('scaled', 'number', 109, 'uint16', 113.4, { raw: 1234, tag: { scale: 0.1, offset: -10 } });
add({ id: 'in_i16', type: 'integer', register: 'input', address: 0, dataType: 'int16' }, -2);
add(
  { id: 'in_f32', type: 'number', register: 'input', address: 1, dataType: 'float32', order: 'CDAB' },
  3.25,
);
add({ id: 'coil0', type: 'boolean', register: 'coil', address: 0 }, true);
add({ id: 'coil1', type: 'boolean', register: 'coil', address: 1 }, false);
add({ id: 'coil3', type: 'boolean', register: 'coil', address: 3 }, true);
add({ id: 'di1', type: 'boolean', register: 'discrete', address: 1 }, true);

/** The tag at an address the server does not serve: bad, statusCode 2. */
export const MISSING_TAG = {
  id: 'missing',
  type: 'integer',
  register: 'holding',
  address: 93,
  dataType: 'uint16',
};

export const EXPECTED: Readonly<Record<string, SampleValue>> = Object.fromEntries(
  entries.map((e) => [e.tag.id, e.expected]),
);

export const peerLayout: PymodbusLayout = {
  units: {
    1: {
      holding: { blocks: { 108: [0x8005] }, values: entries.flatMap((e) => (e.value ? [e.value] : [])) },
      input: {
        blocks: { 0: [0xfffe] },
        values: [{ address: 1, type: 'float32', value: 3.25, wordorder: 'little' }],
      },
      coils: { blocks: { 0: [1, 0, 1, 1] } },
      discrete: { blocks: { 0: [0, 1] } },
    },
    2: { holding: { blocks: { 0: [7, 8] } } },
    // Unit 3 is absent: it never answers.
  },
};

/** A connection with device "all-types" (unit 1), "second" (unit 2, 1-based) and optionally "dead" (unit 3). */
export function peerConnection(
  transport: Record<string, unknown>,
  options: { dead?: boolean; pollIntervalMs?: number; extra?: Record<string, unknown> } = {},
): ModbusConnectionConfig {
  const device = (id: string, unitId: number, tags: unknown[], more: object = {}) => ({
    id,
    unitId,
    production: true,
    businessLinks: ['设备管理'],
    tags,
    ...more,
  });
  return modbusConnectionSchema.parse({
    id: 'peer',
    protocol: 'modbus',
    addressBase: 0,
    timeoutMs: 300,
    pollIntervalMs: options.pollIntervalMs ?? 200,
    backoff: { initialMs: 400, maxMs: 1600 },
    ...transport,
    ...options.extra,
    devices: [
      device('all-types', 1, [...entries.map((e) => e.tag), MISSING_TAG]),
      device(
        'second',
        2,
        [{ id: 'seven', type: 'integer', register: 'holding', address: 1, dataType: 'uint16' }],
        {
          addressBase: 1,
        },
      ),
      ...(options.dead
        ? [
            device('dead', 3, [
              { id: 'x', type: 'integer', register: 'holding', address: 0, dataType: 'uint16' },
            ]),
          ]
        : []),
    ],
  });
}
