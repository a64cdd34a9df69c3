import { describe, expect, it } from 'vitest';
import { DataType, decodePayload, encodePayload, SparkplugDecodeError } from './codec.ts';

describe('Sparkplug B codec', () => {
  it('round-trips every scalar data type exactly', () => {
    const payload = {
      timestamp: 1_700_000_000_123,
      seq: 7,
      metrics: [
        { name: 'i8', alias: 1, datatype: DataType.Int8, value: -128 },
        { name: 'i16', alias: 2, datatype: DataType.Int16, value: -2 },
        { name: 'i32', alias: 3, datatype: DataType.Int32, value: -2_147_483_648 },
        { name: 'i64', alias: 4, datatype: DataType.Int64, value: -9_007_199_254_740_991 },
        { name: 'u32', alias: 5, datatype: DataType.UInt32, value: 4_294_967_295 },
        { name: 'u64big', alias: 6, datatype: DataType.UInt64, value: 18_446_744_073_709_551_615n },
        { name: 'f', alias: 7, datatype: DataType.Float, value: 1.5 },
        { name: 'd', alias: 8, datatype: DataType.Double, value: 0.1 },
        { name: 'b', alias: 9, datatype: DataType.Boolean, value: false },
        { name: 's', alias: 10, datatype: DataType.String, value: '合格' },
        { name: 'n', alias: 11, datatype: DataType.Double, value: null },
      ],
    };
    expect(decodePayload(encodePayload(payload))).toEqual(payload);
  });

  it('decodes a metric sent by alias only, without a name', () => {
    const decoded = decodePayload(
      encodePayload({ seq: 1, metrics: [{ alias: 42, datatype: DataType.UInt16, value: 65535 }] }),
    );
    expect(decoded.metrics).toEqual([{ alias: 42, datatype: DataType.UInt16, value: 65535 }]);
  });

  it('rejects bytes that are not a payload with a typed error', () => {
    expect(() => decodePayload(new Uint8Array([0x12, 0x05, 0x0a]))).toThrow(SparkplugDecodeError);
  });
});
