/**
 * The Modbus connection config: one physical link (a TCP host:port or a serial port) with the
 * devices (unit ids) on it and their tags. Every field is described; the descriptions feed the
 * JSON Schema and README.md.
 */
import { z } from 'zod';
import { expected } from '../../core/input.ts';
import type { DataType } from '../../core/model.ts';
import { connectionIdSchema, deviceConfigBase, tagConfigBase } from '../schema.ts';
import {
  BYTE_ORDERS,
  MODBUS_DATA_TYPES,
  type ModbusDataType,
  orderProblem,
  registerCount,
  STRING_ENCODINGS,
} from './codec.ts';
import { DEFAULT_MAX_GAP, MAX_READ_BITS, MAX_READ_REGISTERS } from './planner.ts';

export const REGISTER_KINDS = ['coil', 'discrete', 'holding', 'input'] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

const addressBaseSchema = z
  .union([z.literal(0), z.literal(1)], {
    error: (issue) =>
      expected(
        '0 (protocol addresses: the first register is 0) or 1 (as device manuals number them: the first is 1)',
        issue.input,
      ),
  })
  .describe(
    'How tag addresses are numbered: 0 = protocol addresses (the first holding register is 0), ' +
      '1 = as most device manuals list them (the first is 1, sent as 0). Modicon 40001-style numbers are not accepted',
  );
const orderSchema = z
  .enum(BYTE_ORDERS)
  .describe(
    'Byte order, A = most significant byte: ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA ' +
      'little-endian; for 64-bit types also ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA; AB/BA for 16-bit values',
  );
const timeoutSchema = z.number().int().min(10).max(60_000);
const pollSchema = z.number().int().min(10).max(86_400_000);

export const modbusTagSchema = tagConfigBase.extend({
  register: z
    .enum(REGISTER_KINDS)
    .describe(
      'Table read: coil (function 1), discrete input (2), holding register (3) or input register (4)',
    ),
  address: z
    .number()
    .int()
    .min(0)
    .max(65_536)
    .describe('Address of the (first) coil or register, numbered as addressBase says'),
  dataType: z
    .enum(MODBUS_DATA_TYPES)
    .optional()
    .describe(
      'How the registers are decoded; bool for coils and discrete inputs (the default there), bit for one bit ' +
        'of a register, required for registers',
    ),
  order: orderSchema
    .optional()
    .describe("Byte order of this tag; default: the device's, else the connection's"),
  bit: z.number().int().min(0).max(15).optional().describe('For dataType bit: 0 = least significant bit'),
  length: z
    .number()
    .int()
    .min(1)
    .max(MAX_READ_REGISTERS)
    .optional()
    .describe('For dataType string: registers'),
  encoding: z
    .enum(STRING_ENCODINGS)
    .default('utf-8')
    .describe('For dataType string: character encoding; the string ends at the first NUL byte'),
  scale: z
    .number()
    .refine((v) => Number.isFinite(v) && v !== 0, 'scale must be a finite non-zero number')
    .default(1)
    .describe('Multiplier: value = raw × scale + offset; a tag with scale or offset is of type number'),
  offset: z.number().finite().default(0).describe('Added after scale'),
});
export type ModbusTagConfig = z.infer<typeof modbusTagSchema>;

export const modbusDeviceSchema = deviceConfigBase.extend({
  // The shared device schema leaves this one undescribed; every field here feeds the JSON Schema.
  description: z.string().optional().describe('What the device is, for people'),
  unitId: z
    .number()
    .int()
    .min(0)
    .max(255)
    .describe('Modbus unit id (slave address): 1–247 on a serial line; over TCP often 1 or 255'),
  addressBase: addressBaseSchema
    .optional()
    .describe("Overrides the connection's addressBase for this device"),
  order: orderSchema.optional().describe("Default byte order of this device's tags"),
  timeoutMs: timeoutSchema.optional().describe("Response timeout for this device; default: the connection's"),
  pollIntervalMs: pollSchema.optional().describe("Poll interval for this device; default: the connection's"),
  tags: z.array(modbusTagSchema).min(1).describe('Tags read from this device'),
});
export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;

const backoffSchema = z
  .object({
    initialMs: z.number().int().min(10).default(1000).describe('First wait after a failure'),
    maxMs: z
      .number()
      .int()
      .min(10)
      .default(30_000)
      .describe('Longest wait; waits double up to it, with jitter'),
  })
  .describe('Backoff of a device that stopped answering, and of the link reconnecting');

const common = {
  id: connectionIdSchema,
  protocol: z.literal('modbus').describe('Protocol of this connection'),
  addressBase: addressBaseSchema,
  order: orderSchema.default('ABCD').describe('Default byte order of all tags on this link'),
  timeoutMs: timeoutSchema.default(1000).describe('Response timeout per request'),
  interRequestDelayMs: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .optional()
    .describe('Silence after each response before the next request; default 0 on TCP, 20 on serial RTU'),
  pollIntervalMs: pollSchema.default(1000).describe('How often each device is read'),
  maxGap: z
    .number()
    .int()
    .min(0)
    .max(MAX_READ_REGISTERS)
    .default(DEFAULT_MAX_GAP)
    .describe('Unused registers read through to merge two reads into one request (×16 for coils)'),
  maxReadRegisters: z
    .number()
    .int()
    .min(1)
    .max(MAX_READ_REGISTERS)
    .default(MAX_READ_REGISTERS)
    .describe('Most registers per request, for devices below the protocol limit of 125'),
  maxReadBits: z
    .number()
    .int()
    .min(1)
    .max(MAX_READ_BITS)
    .default(MAX_READ_BITS)
    .describe('Most coils or discrete inputs per request (protocol limit 2000)'),
  backoff: backoffSchema.prefault({}),
  devices: z.array(modbusDeviceSchema).min(1).describe('Devices (unit ids) on this link'),
};

const BAUD_RATES = [1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200];

const hostSchema = z
  .string()
  .min(1)
  .describe('Host name or IP address of the Modbus TCP server or serial gateway');
const portSchema = z.number().int().min(1).max(65_535);

const tcpConnection = z.object({
  ...common,
  transport: z.literal('tcp').describe('Modbus TCP (MBAP framing)'),
  host: hostSchema,
  port: portSchema.default(502).describe('TCP port'),
});
const rtuOverTcpConnection = z.object({
  ...common,
  transport: z.literal('rtu-over-tcp').describe('RTU frames (with CRC) through a TCP serial server'),
  host: hostSchema,
  port: portSchema.describe('TCP port of the serial server'),
});
const rtuConnection = z.object({
  ...common,
  transport: z.literal('rtu').describe('Modbus RTU on a serial line (RS-485/RS-232)'),
  path: z.string().min(1).describe('Serial port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…'),
  baudRate: z
    .number()
    .refine((v) => BAUD_RATES.includes(v), {
      error: (issue) => expected(`a baud rate of ${BAUD_RATES.join(', ')}`, issue.input),
    })
    .describe('Baud rate, as set on the devices (no default: guessing it wrong looks like a dead bus)'),
  parity: z
    .enum(['none', 'even', 'odd'])
    .describe('Parity, as set on the devices (the Modbus default is even)'),
  dataBits: z
    .union([z.literal(7), z.literal(8)])
    .default(8)
    .describe('Data bits (RTU requires 8)'),
  stopBits: z
    .union([z.literal(1), z.literal(2)])
    .default(1)
    .describe('Stop bits'),
});

export const modbusConnectionSchema = z
  .discriminatedUnion('transport', [tcpConnection, rtuOverTcpConnection, rtuConnection])
  .superRefine((config, ctx) => {
    for (const problem of connectionProblems(config)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .describe('A Modbus link and the devices on it');
export type ModbusConnectionConfig = z.output<typeof modbusConnectionSchema>;

interface Problem {
  path: (string | number)[];
  message: string;
}

/** Cross-field checks, each message naming the device and tag as Telegraf's Init does. */
function connectionProblems(config: ModbusConnectionConfig): Problem[] {
  const problems: Problem[] = [];
  const deviceIds = new Set<string>();
  config.devices.forEach((device, d) => {
    const where = `device "${device.id}"`;
    if (deviceIds.has(device.id))
      problems.push({ path: ['devices', d, 'id'], message: `${where} is listed twice` });
    deviceIds.add(device.id);
    const tagIds = new Set<string>();
    device.tags.forEach((tag, t) => {
      const path = ['devices', d, 'tags', t];
      if (tagIds.has(tag.id)) problems.push({ path, message: `${where} tag "${tag.id}" is listed twice` });
      tagIds.add(tag.id);
      const base = device.addressBase ?? config.addressBase;
      for (const message of tagProblems(tag, base, config.maxReadRegisters)) {
        problems.push({ path, message: `${where} tag "${tag.id}": ${message}` });
      }
    });
  });
  return problems;
}

/** The decoding a tag asks for, with bool filled in for coils and discrete inputs. */
export function tagDataType(tag: ModbusTagConfig): ModbusDataType | undefined {
  return tag.dataType ?? (tag.register === 'coil' || tag.register === 'discrete' ? 'bool' : undefined);
}

const COMPATIBLE: Record<ModbusDataType, readonly DataType[]> = {
  bool: ['boolean'],
  bit: ['boolean'],
  string: ['string'],
  int16: ['integer', 'number'],
  uint16: ['integer', 'number'],
  int32: ['integer', 'number'],
  uint32: ['integer', 'number'],
  int64: ['integer', 'number', 'string'],
  uint64: ['integer', 'number', 'string'],
  float16: ['number'],
  float32: ['number'],
  float64: ['number'],
};

function tagProblems(tag: ModbusTagConfig, base: 0 | 1, maxRegisters: number): string[] {
  const problems: string[] = [];
  const dataType = tagDataType(tag);
  const bits = tag.register === 'coil' || tag.register === 'discrete';
  if (dataType === undefined) return [`dataType is required for ${tag.register} registers`];
  if (bits !== (dataType === 'bool')) {
    problems.push(
      bits
        ? `a ${tag.register} holds one bit: dataType must be bool`
        : 'bool is for coils and discrete inputs',
    );
  }
  if ((dataType === 'bit') !== (tag.bit !== undefined)) {
    problems.push(dataType === 'bit' ? 'dataType bit needs bit (0–15)' : 'bit is only for dataType bit');
  }
  if ((dataType === 'string') !== (tag.length !== undefined)) {
    problems.push(
      dataType === 'string' ? 'dataType string needs length (registers)' : 'length is only for strings',
    );
  }
  if (tag.length !== undefined && tag.length > maxRegisters) {
    problems.push(`length ${tag.length} exceeds maxReadRegisters ${maxRegisters}`);
  }
  const width = Math.max(1, registerCount(dataType, tag.length));
  const first = tag.address - base;
  if (first < 0 || first + width > 65_536) {
    problems.push(
      `address ${tag.address} (${width} × ${bits ? 'bit' : 'register'}) is outside ${base}–${65_535 + base}`,
    );
  }
  // Only a tag's own order is checked: a device-wide order applies to each width as far as it can.
  if (tag.order !== undefined) {
    const orderIssue =
      bits || dataType === 'bit' ? 'order does not apply to bits' : orderProblem(dataType, tag.order);
    if (orderIssue) problems.push(orderIssue);
  }
  const scaled = tag.scale !== 1 || tag.offset !== 0;
  if (!COMPATIBLE[dataType].includes(tag.type)) {
    problems.push(`type ${tag.type} cannot hold ${dataType} (use ${COMPATIBLE[dataType].join(' or ')})`);
  } else if (scaled && tag.type !== 'number') {
    problems.push('a tag with scale or offset is of type number');
  }
  return problems;
}
