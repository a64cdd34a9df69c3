/**
 * A machine's state over time. The calendar plans work, breaks, off time and maintenance; on top,
 * each hour of work may hold one stop (tool change, material shortage, fault) whose start, length
 * and cause are a seeded hash of (machine, hour), so "what covers minute m" looks back two hours at
 * most; after a machine was off it warms up first. A day's states are computed as a few dozen
 * segments and cached.
 */
import type { MachineDef } from '../plant/types.ts';
import { DAY_MINUTES, localDayStart, type PlannedSegment, plannedDay } from './calendar.ts';
import { keyOf, unit } from './hash.ts';

/** Machine states; the index is the numeric state code served on the wire. */
export const MACHINE_STATES = [
  'off',
  'idle',
  'warmup',
  'running',
  'setup',
  'starved',
  'fault',
  'maintenance',
] as const;
export type MachineState = (typeof MACHINE_STATES)[number];
export const stateCode = (state: MachineState): number => MACHINE_STATES.indexOf(state);

export interface StateSegment {
  /** Minute indices, half-open [start, end). */
  start: number;
  end: number;
  state: MachineState;
  /** The fault alarm code while in 'fault', else 0. */
  alarm: number;
}

type StopState = 'setup' | 'starved' | 'fault';
interface Stop {
  start: number;
  end: number;
  state: StopState;
  alarm: number;
}

const HOUR = 60;
/** Stop lengths in minutes by cause: [shortest, longest]. */
const STOP_MINUTES: Record<StopState, readonly [number, number]> = {
  setup: [5, 20],
  starved: [10, 45],
  fault: [5, 60],
};
const STOP_SALT = { chance: 1, offset: 2, cause: 3, length: 4, alarm: 5 } as const;

const machineKeys = new WeakMap<MachineDef, number>();
function machineKey(machine: MachineDef): number {
  let key = machineKeys.get(machine);
  if (key === undefined) {
    key = keyOf(machine.id);
    machineKeys.set(machine, key);
  }
  return key;
}

/** The stop that begins in hour block `block` (minute block*60 …), if any. */
export function stopInBlock(machine: MachineDef, seed: number, block: number): Stop | undefined {
  const key = machineKey(machine);
  if (unit(seed, key, STOP_SALT.chance, block) >= machine.stopChancePerHour) return undefined;
  const offset = Math.floor(unit(seed, key, STOP_SALT.offset, block) * HOUR);
  const { setup, starved, fault } = machine.stopCauses;
  const pick = unit(seed, key, STOP_SALT.cause, block) * (setup + starved + fault);
  const state: StopState = pick < setup ? 'setup' : pick < setup + starved ? 'starved' : 'fault';
  const [shortest, longest] = STOP_MINUTES[state];
  const length = shortest + Math.floor(unit(seed, key, STOP_SALT.length, block) * (longest - shortest + 1));
  const alarms = machine.alarms;
  const alarm =
    state === 'fault' && alarms.length > 0
      ? alarms[Math.floor(unit(seed, key, STOP_SALT.alarm, block) * alarms.length)]!.code
      : 0;
  const start = block * HOUR + offset;
  return { start, end: start + length, state, alarm };
}

/** Stops touching [from, to), in start order; a later stop cuts the earlier one short. */
function stopsBetween(machine: MachineDef, seed: number, from: number, to: number): Stop[] {
  const stops: Stop[] = [];
  // A stop lasts at most an hour, so one beginning in the previous block can reach `from`.
  for (let block = Math.floor(from / HOUR) - 1; block * HOUR < to; block++) {
    const stop = stopInBlock(machine, seed, block);
    if (!stop) continue;
    const previous = stops.at(-1);
    if (previous && previous.end > stop.start) previous.end = stop.start;
    stops.push(stop);
  }
  return stops.filter((s) => s.end > from && s.start < to);
}

const heatOff = (kind: PlannedSegment['kind']): boolean => kind === 'off' || kind === 'maintenance';

/** Computes the state segments of one local day, merged where equal. */
export function computeDay(machine: MachineDef, seed: number, day: number): StateSegment[] {
  const start = localDayStart(day);
  const end = start + DAY_MINUTES;
  // The previous day is planned too, so warm-up and stops that begin before midnight carry over.
  const planned = [...plannedDay(machine.shifts, day - 1), ...plannedDay(machine.shifts, day)];
  const stops = stopsBetween(machine, seed, start, end);
  const warmups = machine.warmupMinutes
    ? planned
        .filter((seg, i) => heatOff(seg.kind) && !heatOff(planned[i + 1]?.kind ?? 'work'))
        .map((seg) => ({ start: seg.end, end: seg.end + machine.warmupMinutes }))
    : [];
  const cuts = new Set<number>([start, end]);
  for (const list of [planned, stops, warmups]) {
    for (const seg of list) {
      if (seg.start > start && seg.start < end) cuts.add(seg.start);
      if (seg.end > start && seg.end < end) cuts.add(seg.end);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: StateSegment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    const covers = (seg: { start: number; end: number }) => seg.start <= from && from < seg.end;
    const plan = planned.find(covers)?.kind ?? 'off';
    let state: MachineState;
    let alarm = 0;
    if (plan === 'break') state = 'idle';
    else if (plan !== 'work') state = plan;
    else {
      const stop = stops.find(covers);
      if (stop) {
        state = stop.state;
        alarm = stop.alarm;
      } else state = warmups.some(covers) ? 'warmup' : 'running';
    }
    const last = segments.at(-1);
    if (last && last.state === state && last.alarm === alarm) last.end = to;
    else segments.push({ start: from, end: to, state, alarm });
  }
  return segments;
}
