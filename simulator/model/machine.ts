/**
 * One machine as pure functions of simulated time t (ms since the Unix epoch): state, running time,
 * counters, energy and first-order temperatures. Running time, energy and scrap are counted from
 * the plant epoch with per-day prefix sums, so a value years after the epoch costs one pass over
 * the days once and O(segments of a day) after.
 */
import type { MachineDef } from '../plant/types.ts';
import { daysSinceMaintenance, localDayOf, localDayStart, MINUTE_MS, minuteOf } from './calendar.ts';
import { computeDay, type MachineState, type StateSegment } from './timeline.ts';

const HOUR_MS = 3_600_000;
const CACHED_DAYS = 16;

export class MachineModel {
  private readonly dayCache = new Map<number, StateSegment[]>();
  /** Per day since the epoch day: running minutes, non-running kWh and scrap weight before that day. */
  private readonly prefix = { run: [0], nonRunKwh: [0], scrapWeight: [0] };
  readonly cycleMs: number;
  private readonly cycleKwh: number;

  constructor(
    readonly def: MachineDef,
    readonly seed: number,
    private readonly epochDay: number,
  ) {
    this.cycleMs = Math.round(def.cycleSeconds * 1000);
    this.cycleKwh = def.phases
      ? def.phases.reduce((sum, p) => sum + (p.kw * p.minutes) / 60, 0)
      : (def.power.running * this.cycleMs) / HOUR_MS;
  }

  /** The state segments of a local day (cached, a few dozen entries). */
  day(day: number): StateSegment[] {
    let segments = this.dayCache.get(day);
    if (!segments) {
      segments = computeDay(this.def, this.seed, day);
      if (this.dayCache.size >= CACHED_DAYS) this.dayCache.delete(this.dayCache.keys().next().value!);
      this.dayCache.set(day, segments);
    }
    return segments;
  }

  segmentAt(minute: number): StateSegment {
    return this.day(localDayOf(minute)).find((s) => s.start <= minute && minute < s.end)!;
  }

  stateAt(t: number): MachineState {
    return this.segmentAt(minuteOf(t)).state;
  }

  /** Segments covering [from, to) minutes, clipped, from the epoch on. */
  segmentsBetween(from: number, to: number): StateSegment[] {
    const start = Math.max(from, localDayStart(this.epochDay));
    const out: StateSegment[] = [];
    for (let d = localDayOf(start); localDayStart(d) < to; d++) {
      for (const s of this.day(d)) {
        if (s.end <= start || s.start >= to) continue;
        out.push({ ...s, start: Math.max(s.start, start), end: Math.min(s.end, to) });
      }
    }
    return out;
  }

  /** Milliseconds spent running from the plant epoch to t. */
  runningMs(t: number): number {
    const minute = minuteOf(t);
    const day = this.checkedDay(minute);
    let minutes = this.prefixAt(day).run;
    let partial = 0;
    for (const s of this.day(day)) {
      if (s.start > minute || s.state !== 'running') continue;
      if (s.end <= minute) minutes += s.end - s.start;
      else {
        minutes += minute - s.start;
        partial = t - minute * MINUTE_MS;
      }
    }
    return minutes * MINUTE_MS + partial;
  }

  /** Completed cycles since the epoch. */
  cycles(t: number): number {
    return Math.floor(this.runningMs(t) / this.cycleMs);
  }

  parts(t: number): number {
    return this.cycles(t) * this.def.partsPerCycle;
  }

  /** Scrap parts since the epoch: the running sum of parts × the day's scrap share, floored. */
  scrap(t: number): number {
    const day = this.checkedDay(minuteOf(t));
    const dayParts = this.parts(t) - this.parts(localDayStart(day) * MINUTE_MS);
    return Math.floor(this.prefixAt(day).scrapWeight + dayParts * this.scrapShare(day));
  }

  /** Scrap share of a day: rises from scrap[0] to scrap[1] over the week since maintenance. */
  scrapShare(day: number): number {
    const [low, high] = this.def.scrap;
    return low + ((high - low) * daysSinceMaintenance(day)) / 6;
  }

  /** Electrical power at t, kW. */
  powerKw(t: number): number {
    const state = this.stateAt(t);
    if (state !== 'running' || !this.def.phases) return this.statePower(state);
    return this.phaseAt(this.runningMs(t)).phase.kw;
  }

  /** Energy drawn from the epoch to t, kWh: the integral of powerKw. */
  energyKwh(t: number): number {
    const minute = minuteOf(t);
    const day = this.checkedDay(minute);
    let kwh = this.prefixAt(day).nonRunKwh;
    for (const s of this.day(day)) {
      if (s.start > minute || s.state === 'running') continue;
      const end = Math.min(s.end * MINUTE_MS, t);
      kwh += (this.statePower(s.state) * (end - s.start * MINUTE_MS)) / HOUR_MS;
    }
    return kwh + this.runningKwh(this.runningMs(t));
  }

  /** The batch phase reached after `runningMs` of running, and how far into it (ms). */
  phaseAt(runningMs: number): { phase: { name: string; minutes: number; kw: number }; intoMs: number } {
    const phases = this.def.phases ?? [{ name: 'run', minutes: this.cycleMs / MINUTE_MS, kw: 0 }];
    let into = runningMs % this.cycleMs;
    for (const phase of phases) {
      const length = phase.minutes * MINUTE_MS;
      if (into < length) return { phase, intoMs: into };
      into -= length;
    }
    return { phase: phases.at(-1)!, intoMs: phases.at(-1)!.minutes * MINUTE_MS };
  }

  /**
   * A first-order response to per-state targets ([goal, time constant in minutes]), evaluated at t
   * by walking back `windowMin` (some 12 time constants, where the start value no longer matters).
   * `exact` may pin the value at the end of a segment (the furnace follows its batch profile).
   */
  firstOrder(
    t: number,
    windowMin: number,
    target: (state: MachineState) => readonly [number, number],
    exact?: (segment: StateSegment, atMs: number) => number | undefined,
  ): number {
    const now = t / MINUTE_MS;
    const segments = this.segmentsBetween(Math.floor(now - windowMin), minuteOf(t) + 1);
    let value = target(segments[0]!.state)[0];
    for (const s of segments) {
      const end = Math.min(s.end, now);
      if (end <= s.start) continue;
      const pinned = exact?.(s, end * MINUTE_MS);
      if (pinned !== undefined) {
        value = pinned;
        continue;
      }
      const [goal, tau] = target(s.state);
      value = goal + (value - goal) * Math.exp(-(end - s.start) / tau);
    }
    return value;
  }

  private statePower(state: MachineState): number {
    const p = this.def.power;
    if (state === 'off' || state === 'maintenance') return p.off;
    if (state === 'warmup') return p.warmup;
    if (state === 'running') return p.running;
    return p.idle;
  }

  /** Energy of `runningMs` of running: whole cycles plus the part of the current one. */
  private runningKwh(runningMs: number): number {
    const whole = Math.floor(runningMs / this.cycleMs) * this.cycleKwh;
    if (!this.def.phases) return whole + (this.def.power.running * (runningMs % this.cycleMs)) / HOUR_MS;
    const { phase, intoMs } = this.phaseAt(runningMs);
    let partial = (phase.kw * intoMs) / HOUR_MS;
    for (const p of this.def.phases) {
      if (p === phase) break;
      partial += (p.kw * p.minutes) / 60;
    }
    return whole + partial;
  }

  private checkedDay(minute: number): number {
    const day = localDayOf(minute);
    if (day < this.epochDay) {
      throw new RangeError(
        `simulated time ${new Date(minute * MINUTE_MS).toISOString()} is before the plant epoch`,
      );
    }
    return day;
  }

  /** Prefix sums up to the start of `day`, extended one day at a time as needed. */
  private prefixAt(day: number): { run: number; nonRunKwh: number; scrapWeight: number } {
    const index = day - this.epochDay;
    const { run, nonRunKwh, scrapWeight } = this.prefix;
    while (run.length <= index) {
      const d = this.epochDay + run.length - 1;
      let running = 0;
      let kwh = 0;
      for (const s of this.day(d)) {
        if (s.state === 'running') running += s.end - s.start;
        else kwh += (this.statePower(s.state) * (s.end - s.start)) / 60;
      }
      const before = run.at(-1)!;
      const partsOfDay =
        Math.floor(((before + running) * MINUTE_MS) / this.cycleMs) -
        Math.floor((before * MINUTE_MS) / this.cycleMs);
      run.push(before + running);
      nonRunKwh.push(nonRunKwh.at(-1)! + kwh);
      scrapWeight.push(scrapWeight.at(-1)! + partsOfDay * this.def.partsPerCycle * this.scrapShare(d));
    }
    return { run: run[index]!, nonRunKwh: nonRunKwh[index]!, scrapWeight: scrapWeight[index]! };
  }
}
