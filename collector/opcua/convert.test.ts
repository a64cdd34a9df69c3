import { DataType, VariantArrayType } from 'node-opcua-client';
import { describe, expect, it } from 'vitest';
import { convertValue, hasOverflow, qualityOf, sampleTime } from './convert.ts';
import { parseNodeAddress } from './node-address.ts';
import { formatNodeId, resolveNodeId } from './node-id.ts';
import { backoffDelay } from './opcua-collector.ts';
import { dataChangeFilter, monitoredItemBatches } from './plan.ts';
import { plannedTag } from './test-server.ts';

const scalar = VariantArrayType.Scalar;

describe('status codes', () => {
  it('maps severity to quality and finds the overflow info bit', () => {
    expect(qualityOf(0)).toBe('good');
    expect(qualityOf(0x40000000)).toBe('uncertain');
    expect(qualityOf(0x808c0000)).toBe('bad'); // BadSensorFailure
    expect(hasOverflow(0x00000480)).toBe(true); // Good, DataValue info type, overflow
    expect(hasOverflow(0x00000080)).toBe(false); // overflow bit without the DataValue info type
    expect(hasOverflow(0)).toBe(false);
  });
});

describe('values', () => {
  it('keeps 64-bit integers exact: numbers within 2^53, decimal strings beyond', () => {
    expect(convertValue(DataType.UInt64, scalar, [0, 42], 'integer')).toEqual({ ok: true, value: 42 });
    expect(convertValue(DataType.UInt64, scalar, [0xffffffff, 0xffffffff], 'integer')).toEqual({
      ok: true,
      value: '18446744073709551615',
    });
    expect(convertValue(DataType.Int64, scalar, [0x80000000, 0], 'integer')).toEqual({
      ok: true,
      value: '-9223372036854775808',
    });
    expect(convertValue(DataType.Int64, scalar, [0xffffffff, 0xffffffff], 'integer')).toEqual({
      ok: true,
      value: -1,
    });
  });

  it('refuses arrays, unsupported types and values that do not fit the tag type', () => {
    expect(convertValue(DataType.Double, VariantArrayType.Array, [1], 'number')).toEqual({
      ok: false,
      reason: 'Double array',
    });
    expect(convertValue(DataType.ExtensionObject, scalar, {}, 'string').ok).toBe(false);
    expect(convertValue(DataType.Double, scalar, 1.5, 'integer')).toEqual({
      ok: false,
      reason: 'Double value 1.5 does not fit tag type integer',
    });
    expect(convertValue(DataType.Int32, scalar, 7, 'string')).toEqual({ ok: true, value: '7' });
  });
});

describe('timestamps', () => {
  const source = new Date('2025-01-01T00:00:00Z');
  const server = new Date('2025-01-01T00:00:01Z');
  const minDate = new Date('1601-01-01T00:00:00Z');
  it('falls back from a null or zero time to the next one, finally the receive time', () => {
    expect(sampleTime({ sourceTimestamp: source, serverTimestamp: server }, 'source', 9)).toBe(
      source.getTime(),
    );
    expect(sampleTime({ sourceTimestamp: null, serverTimestamp: server }, 'source', 9)).toBe(
      server.getTime(),
    );
    expect(sampleTime({ sourceTimestamp: minDate, serverTimestamp: null }, 'source', 9)).toBe(9);
    expect(sampleTime({ sourceTimestamp: source, serverTimestamp: server }, 'server', 9)).toBe(
      server.getTime(),
    );
    expect(sampleTime({ sourceTimestamp: source, serverTimestamp: minDate }, 'server', 9)).toBe(
      source.getTime(),
    );
    expect(sampleTime({ sourceTimestamp: source, serverTimestamp: server }, 'gateway', 9)).toBe(9);
  });
});

describe('node ids', () => {
  it('parses nsu= and object forms, refuses namespace indices other than 0', () => {
    expect(parseNodeAddress('nsu=urn:x;s=Line1.Speed')).toEqual({
      namespaceUri: 'urn:x',
      type: 's',
      value: 'Line1.Speed',
    });
    expect(parseNodeAddress({ namespaceUri: 'urn:x', id: 5 })).toEqual({
      namespaceUri: 'urn:x',
      type: 'i',
      value: 5,
    });
    expect(parseNodeAddress('i=2258').namespaceUri).toBe('http://opcfoundation.org/UA/');
    expect(() => parseNodeAddress('ns=2;s=Foo')).toThrow('uses a namespace index');
    expect(() => parseNodeAddress('nsu=urn:x;q=1')).toThrow('has no identifier');
    expect(() => parseNodeAddress('nsu=urn:x;g=nope')).toThrow('g= needs a GUID');
  });

  it('resolves against the NamespaceArray of the session and formats back', () => {
    const address = parseNodeAddress('nsu=urn:x;s=Foo');
    const nodeId = resolveNodeId(address, [
      'http://opcfoundation.org/UA/',
      'urn:server',
      'urn:other',
      'urn:x',
    ]);
    expect(nodeId.toString()).toBe('ns=3;s=Foo');
    expect(formatNodeId(nodeId, ['http://opcfoundation.org/UA/', 'urn:server', 'urn:other', 'urn:x'])).toBe(
      'nsu=urn:x;s=Foo',
    );
    expect(() => resolveNodeId(address, ['http://opcfoundation.org/UA/'])).toThrow(
      'has no namespace "urn:x"',
    );
  });
});

describe('planning', () => {
  it('batches by monitoring settings within the batch size', () => {
    const tags = [...Array.from({ length: 5 }, () => plannedTag()), plannedTag({ queueSize: 10 })];
    expect(monitoredItemBatches(tags, 2).map((b) => b.length)).toEqual([2, 2, 1, 1]);
  });

  it('uses a deadband only on numeric tags; none reports timestamp-only changes', () => {
    expect(dataChangeFilter(plannedTag({ deadband: { type: 'absolute', value: 0.5 } }))).toEqual({
      trigger: 'StatusValue',
      deadbandType: 'Absolute',
      deadbandValue: 0.5,
    });
    expect(
      dataChangeFilter(plannedTag({ type: 'boolean', deadband: { type: 'percent', value: 2 } })).deadbandType,
    ).toBe('None');
    expect(dataChangeFilter(plannedTag({ deadband: { type: 'none' } })).trigger).toBe('StatusValueTimestamp');
  });

  it('backs off exponentially, capped and jittered', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(6000);
    expect(backoffDelay(50, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
