/**
 * Config → what the planner and the decoder need: protocol addresses (0-based), function codes,
 * register counts and value specs. Pure; runs once when a collector is created.
 */
import type { DataType } from '../../core/model.ts';
import { type ByteOrder, registerCount, type ValueSpec } from './codec.ts';
import type { FunctionCode, TagRead } from './planner.ts';
import { type ModbusTagConfig, type RegisterKind, tagDataType } from './schema.ts';

export const FUNCTION_CODES: Record<RegisterKind, FunctionCode> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};

export interface ResolvedTag {
  id: string;
  type: DataType;
  spec: ValueSpec;
}

/** The planner's view of a device's tags (the config has been validated by the schema). */
export function resolveTags(
  unitId: number,
  addressBase: 0 | 1,
  order: ByteOrder,
  tags: readonly ModbusTagConfig[],
): TagRead<ResolvedTag>[] {
  return tags.map((tag) => {
    const dataType = tagDataType(tag);
    if (dataType === undefined)
      throw new Error(`tag "${tag.id}": dataType is required for ${tag.register} registers`);
    const spec: ValueSpec = {
      dataType,
      type: tag.type,
      order: tag.order ?? order,
      bit: tag.bit ?? 0,
      length: tag.length ?? 1,
      scale: tag.scale,
      offset: tag.offset,
      encoding: tag.encoding,
    };
    return {
      unitId,
      fn: FUNCTION_CODES[tag.register],
      address: tag.address - addressBase,
      count: Math.max(1, registerCount(dataType, tag.length)),
      ref: { id: tag.id, type: tag.type, spec },
    };
  });
}

/** The value a bad sample carries (the model has no null): false, '' or 0 by the tag's type. */
export function placeholder(type: DataType): boolean | string | number {
  return type === 'boolean' ? false : type === 'string' ? '' : 0;
}
