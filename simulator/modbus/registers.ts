/**
 * The register image of the plant's Modbus devices: which tags live at which (unit, table,
 * address), and the registers or bits of a read range at one simulated instant, so a multi-register
 * value is never torn between two times.
 */
import type { Plant } from '../model/plant.ts';
import type { ModbusAddress, ModbusTable, SimTag } from '../plant/types.ts';
import { encodeRegisters, registerCount, toRaw } from './codec.ts';

export type ReadResult = { ok: true; values: number[] } | { ok: false; exception: number };

/** Modbus exception codes the simulator answers with. */
export const EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  gatewayTargetFailed: 0x0b,
} as const;

interface Placed {
  deviceId: string;
  tag: SimTag;
  address: ModbusAddress;
}

export class RegisterImage {
  /** unit id → table → tags placed there, and the highest address in use. */
  private readonly units = new Map<number, Map<ModbusTable, { tags: Placed[]; end: number }>>();

  constructor(private readonly plant: Plant) {
    for (const device of plant.devices) {
      for (const tag of device.tags) {
        if (tag.address.protocol !== 'modbus') continue;
        const address = tag.address;
        const tables = this.units.get(address.unitId) ?? new Map();
        this.units.set(address.unitId, tables);
        const table = tables.get(address.table) ?? { tags: [], end: 0 };
        tables.set(address.table, table);
        table.tags.push({ deviceId: device.id, tag, address });
        table.end = Math.max(table.end, address.address + registerCount(address.type));
      }
    }
  }

  get unitIds(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  /**
   * Reads `count` registers (or bits) at `start` as of simulated time t. Gaps inside a device's map
   * read as 0, as on most real meters; addresses past its last mapped one give exception 02, and a
   * unit id nobody answers to gives 0x0B, as a serial gateway does.
   */
  read(unitId: number, table: ModbusTable, start: number, count: number, t: number): ReadResult {
    const tables = this.units.get(unitId);
    if (!tables) return { ok: false, exception: EXCEPTION.gatewayTargetFailed };
    const placed = tables.get(table);
    if (!placed || start + count > placed.end) return { ok: false, exception: EXCEPTION.illegalDataAddress };
    const values = new Array<number>(count).fill(0);
    for (const { deviceId, tag, address } of placed.tags) {
      const width = registerCount(address.type);
      if (address.address + width <= start || address.address >= start + count) continue;
      const value = this.plant.valueAt(deviceId, tag.id, t);
      const words =
        address.type === 'bool'
          ? [value === true ? 1 : 0]
          : encodeRegisters(address.type, address.order, toRaw(address, Number(value)));
      words.forEach((word, i) => {
        const at = address.address + i - start;
        if (at >= 0 && at < count) values[at] = word;
      });
    }
    return { ok: true, values };
  }
}
