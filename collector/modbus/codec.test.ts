import { describe, expect, it } from 'vitest';
import {
  type ByteOrder,
  decodeRegisters,
  type ModbusDataType,
  orderProblem,
  type ValueSpec,
} from './codec.ts';
import { STATUS } from './errors.ts';

function spec(dataType: ModbusDataType, extra: Partial<ValueSpec> = {}): ValueSpec {
  const type = dataType === 'string' ? 'string' : dataType.startsWith('float') ? 'number' : 'integer';
  return {
    dataType,
    type,
    order: 'ABCD',
    bit: 0,
    length: 1,
    scale: 1,
    offset: 0,
    encoding: 'utf-8',
    ...extra,
  };
}

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('decodeRegisters', () => {
  it('reads 16-bit values in both byte orders', () => {
    expect(decodeRegisters(spec('int16'), hex('fffe')).value).toBe(-2);
    expect(decodeRegisters(spec('uint16'), hex('fffe')).value).toBe(65534);
    expect(decodeRegisters(spec('uint16', { order: 'BA' }), hex('3412')).value).toBe(0x1234);
    // A device-wide DCBA keeps only its byte swap for 16-bit values.
    expect(decodeRegisters(spec('uint16', { order: 'DCBA' }), hex('3412')).value).toBe(0x1234);
    expect(decodeRegisters(spec('uint16', { order: 'CDAB' }), hex('1234')).value).toBe(0x1234);
  });

  // 0x12345678 and 123.456 as float32 (0x42F6E979) in each of the four orders.
  it.each<[ByteOrder, string, string]>([
    ['ABCD', '1234 5678', '42f6 e979'],
    ['CDAB', '5678 1234', 'e979 42f6'],
    ['BADC', '3412 7856', 'f642 79e9'],
    ['DCBA', '7856 3412', '79e9 f642'],
  ])('reads 32-bit values in order %s', (order, int, float) => {
    expect(decodeRegisters(spec('uint32', { order }), hex(int)).value).toBe(0x12345678);
    expect(decodeRegisters(spec('int32', { order }), hex(int)).value).toBe(0x12345678);
    expect(decodeRegisters(spec('float32', { order }), hex(float)).value).toBe(Math.fround(123.456));
  });

  // 0x0102030405060708 in each 64-bit order, and the 4-letter names applied to 64 bits.
  it.each<[ByteOrder, ByteOrder, string]>([
    ['ABCDEFGH', 'ABCD', '0102 0304 0506 0708'],
    ['GHEFCDAB', 'CDAB', '0708 0506 0304 0102'],
    ['BADCFEHG', 'BADC', '0201 0403 0605 0807'],
    ['HGFEDCBA', 'DCBA', '0807 0605 0403 0201'],
  ])('reads 64-bit values in order %s (= %s)', (order, short, bytes) => {
    const expected = '72623859790382856'; // 0x0102030405060708, beyond 2^53
    expect(decodeRegisters(spec('uint64', { order, type: 'string' }), hex(bytes)).value).toBe(expected);
    expect(decodeRegisters(spec('int64', { order: short, type: 'string' }), hex(bytes)).value).toBe(expected);
  });

  it('keeps int64 exact as a string, as a number while safe, and flags precision loss', () => {
    const minusOne = hex('ffff ffff ffff ffff');
    expect(decodeRegisters(spec('int64'), minusOne)).toEqual({ value: -1, quality: 'good', statusCode: 0 });
    expect(decodeRegisters(spec('uint64', { type: 'string' }), minusOne).value).toBe('18446744073709551615');
    const big = hex('0020 0000 0000 0001'); // 2^53 + 1
    expect(decodeRegisters(spec('int64', { type: 'string' }), big).value).toBe('9007199254740993');
    expect(decodeRegisters(spec('int64'), big)).toEqual({
      value: 9007199254740992,
      quality: 'uncertain',
      statusCode: STATUS.precisionLoss,
    });
    expect(decodeRegisters(spec('int64', { type: 'number' }), big).quality).toBe('good');
  });

  it('reads floats of every width', () => {
    expect(decodeRegisters(spec('float16'), hex('3e00')).value).toBe(1.5);
    expect(decodeRegisters(spec('float16'), hex('c000')).value).toBe(-2);
    expect(decodeRegisters(spec('float16'), hex('0001')).value).toBe(2 ** -24);
    expect(decodeRegisters(spec('float64'), hex('4058 fd2f 1a9f be77')).value).toBe(99.956);
    expect(decodeRegisters(spec('float64', { order: 'GHEFCDAB' }), hex('be77 1a9f fd2f 4058')).value).toBe(
      99.956,
    );
  });

  it('turns NaN and infinities into bad samples', () => {
    expect(decodeRegisters(spec('float32'), hex('7fc0 0000'))).toEqual({
      value: Number.NaN,
      quality: 'bad',
      statusCode: STATUS.notFinite,
    });
    expect(decodeRegisters(spec('float16'), hex('7c00')).quality).toBe('bad');
  });

  it('reads bits of a register, bit 0 being the least significant', () => {
    expect(decodeRegisters(spec('bit', { bit: 0, type: 'boolean' }), hex('8001')).value).toBe(true);
    expect(decodeRegisters(spec('bit', { bit: 1, type: 'boolean' }), hex('8001')).value).toBe(false);
    expect(decodeRegisters(spec('bit', { bit: 15, type: 'boolean' }), hex('8001')).value).toBe(true);
  });

  it('reads strings up to the first NUL, with swapped bytes and in GBK', () => {
    expect(decodeRegisters(spec('string', { length: 3 }), hex('4142 2d31 0000')).value).toBe('AB-1');
    expect(decodeRegisters(spec('string', { length: 2, order: 'BA' }), hex('4241 312d')).value).toBe('AB-1');
    // A device-wide CDAB does not reorder a string's registers.
    expect(decodeRegisters(spec('string', { length: 2, order: 'CDAB' }), hex('4142 2d31')).value).toBe(
      'AB-1',
    );
    expect(decodeRegisters(spec('string', { length: 2, encoding: 'gbk' }), hex('d6d0 cec4')).value).toBe(
      '中文',
    );
  });

  it('scales and offsets without float noise, integers staying integers when unscaled', () => {
    expect(decodeRegisters(spec('uint16', { scale: 0.1, type: 'number' }), hex('0003')).value).toBe(0.3);
    expect(
      decodeRegisters(spec('int16', { scale: 0.01, offset: -40, type: 'number' }), hex('04d2')).value,
    ).toBe(-27.66);
    expect(decodeRegisters(spec('uint16', { scale: 1e-7, type: 'number' }), hex('0003')).value).toBe(3e-7);
    expect(decodeRegisters(spec('float32', { scale: 2, offset: 1 }), hex('3fc0 0000')).value).toBe(4);
    expect(decodeRegisters(spec('uint32'), hex('ffff ffff')).value).toBe(4294967295);
  });
});

describe('orderProblem', () => {
  it('accepts each order only for the widths it describes', () => {
    expect(orderProblem('float32', 'CDAB')).toBeUndefined();
    expect(orderProblem('float64', 'CDAB')).toBeUndefined();
    expect(orderProblem('float32', 'GHEFCDAB')).toBe('order GHEFCDAB is for 64-bit types only');
    expect(orderProblem('int32', 'BA')).toBe('order BA is for 16-bit types and strings only');
    expect(orderProblem('string', 'BA')).toBeUndefined();
    expect(orderProblem('string', 'CDAB')).toBe('strings run in register order: use AB or BA, not CDAB');
  });
});
