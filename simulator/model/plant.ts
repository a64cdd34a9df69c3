/**
 * The plant model: every value of every device as a pure function of (plant definition, seed,
 * simulated time t). The protocol servers serve exactly `valueAt(device, tag, t)` for the current
 * simulated time, and tests compute the readings they expect the same way.
 */
import { getScenario } from '../plant/scenarios.ts';
import type { MachineDef, PlantDefinition, SignalRef, SimDevice, SimTag } from '../plant/types.ts';
import { validatePlant } from '../plant/validate.ts';
import { localDayOf, MINUTE_MS, minuteOf, shiftStartOf } from './calendar.ts';
import { exposedValue } from './exposed.ts';
import { MachineModel } from './machine.ts';
import { COUNTER_SIGNALS, machineSignal, type SignalValue } from './signals.ts';
import type { MachineState } from './timeline.ts';
import { meterSignal, sensorSignal } from './utilities.ts';

export type Snapshot = Record<string, Record<string, SignalValue>>;

export interface Plant {
  readonly definition: PlantDefinition;
  readonly seed: number;
  readonly devices: readonly SimDevice[];
  /** Simulated times before this (ms) are refused. */
  readonly epochMs: number;
  device(id: string): SimDevice;
  tag(deviceId: string, tagId: string): SimTag;
  machine(id: string): MachineModel;
  stateAt(machineId: string, t: number): MachineState;
  /** A signal before it is put on the wire (no counter wrap, no rounding). */
  signalAt(ref: SignalRef, t: number): SignalValue;
  /** A tag's value exactly as its device exposes it at simulated time t. */
  valueAt(deviceId: string, tagId: string, t: number): SignalValue;
  /** Every tag of every device at simulated time t. */
  snapshot(t: number): Snapshot;
}

/** Checks a seed given by a person: an integer 0 … 2^32−1. */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  return seed;
}

export function createPlant(scenario: string | PlantDefinition, seed: number): Plant {
  const definition = typeof scenario === 'string' ? getScenario(scenario) : validatePlant(scenario);
  checkSeed(seed);
  const epochMs = Date.parse(definition.epoch);
  if (Number.isNaN(epochMs))
    throw new Error(`plant ${definition.scenario}: epoch '${definition.epoch}' is not a date`);
  const epochDay = localDayOf(minuteOf(epochMs));
  const machines = new Map(
    definition.machines.map((def: MachineDef) => [def.id, new MachineModel(def, seed, epochDay)]),
  );
  const devices = new Map(definition.devices.map((d) => [d.id, d]));

  const machine = (id: string): MachineModel => {
    const found = machines.get(id);
    if (!found) throw new Error(`plant ${definition.scenario} has no machine '${id}'`);
    return found;
  };
  const groupOf = (ids: readonly string[]) => ids.map(machine);

  const rawSignal = (source: string, signal: string, t: number): SignalValue => {
    if (t < epochMs)
      throw new RangeError(`simulated time ${new Date(t).toISOString()} is before the plant epoch`);
    const m = machines.get(source);
    if (m) return machineSignal(m, signal, t);
    const meter = definition.meters.find((x) => x.id === source);
    if (meter) return meterSignal(meter, groupOf(meter.machines), seed, epochMs, signal, t);
    const sensor = definition.sensors.find((x) => x.id === source);
    if (sensor) return sensorSignal(sensor, groupOf(sensor.machines), seed, signal, t);
    throw new Error(`plant ${definition.scenario} has no signal source '${source}'`);
  };

  const signalAt = (ref: SignalRef, t: number): SignalValue => {
    const value = rawSignal(ref.source, ref.signal, t);
    if (!ref.counter?.resetAtShiftStart || !COUNTER_SIGNALS.has(ref.signal)) return value;
    const shiftStart = Math.max(shiftStartOf(minuteOf(t)) * MINUTE_MS, epochMs);
    return (value as number) - (rawSignal(ref.source, ref.signal, shiftStart) as number);
  };

  const device = (id: string): SimDevice => {
    const found = devices.get(id);
    if (!found) throw new Error(`plant ${definition.scenario} has no device '${id}'`);
    return found;
  };
  const tag = (deviceId: string, tagId: string): SimTag => {
    const found = device(deviceId).tags.find((x) => x.id === tagId);
    if (!found) throw new Error(`device ${deviceId} has no tag '${tagId}'`);
    return found;
  };
  const valueAt = (deviceId: string, tagId: string, t: number): SignalValue => {
    const found = tag(deviceId, tagId);
    return exposedValue(found, signalAt(found.signal, t));
  };

  return {
    definition,
    seed,
    devices: definition.devices,
    epochMs,
    device,
    tag,
    machine,
    stateAt: (machineId, t) => machine(machineId).stateAt(t),
    signalAt,
    valueAt,
    snapshot(t) {
      const out: Snapshot = {};
      for (const d of definition.devices) {
        out[d.id] = Object.fromEntries(d.tags.map((x) => [x.id, exposedValue(x, signalAt(x.signal, t))]));
      }
      return out;
    },
  };
}
