/**
 * OEE per device per shift, from the derived machine state and part counters:
 *   planned time  = time in the shift − planned_stop − offline (the gateway cannot see an offline machine)
 *   availability  = running / planned time
 *   performance   = ideal cycle time × parts / running        (above 1 means the ideal time is set too slow)
 *   quality       = (parts − scrap) / parts
 *   OEE           = availability × performance × quality
 * A figure whose denominator is zero is not written.
 *
 * Parts are those made within the shift and within the time the gateway has seen the machine's
 * state: a counter's rise is known only between two readings, and when that interval began before
 * the shift (or before the first state was seen, when running time starts to count) only the share
 * of the interval inside is counted, rounded down. Otherwise the first reading of a shift credits the
 * new shift with the pieces made at the end of the previous one, against seconds of running time:
 * performance far above 100 % in the first minutes. A figure still above 1 is written as it is (the
 * plant page flags it): capped, it would hide an ideal cycle time set too slow.
 */
import type { MachineState } from './schema.ts';
import { type ShiftDefinition, type ShiftWindow, shiftAt } from './shifts.ts';

export interface OeeFigures {
  availability?: number;
  performance?: number;
  quality?: number;
  oee?: number;
}

interface ShiftTally {
  window: ShiftWindow;
  time: Record<MachineState, number>;
  parts: number;
  scrap: number;
}

export interface OeeOptions {
  idealCycleTimeMs: number;
  shifts: readonly ShiftDefinition[];
  timezone: string;
}

export class OeeTracker {
  private state: MachineState | undefined;
  private since = 0;
  /** When the first state was seen: running time, and so parts, count from here. */
  private observedFrom: number | undefined;
  private tally: ShiftTally | undefined;

  constructor(
    private readonly options: OeeOptions,
    /** Called when a shift ends, with its final figures. */
    private readonly onShiftEnd: (window: ShiftWindow, figures: OeeFigures) => void,
  ) {}

  setState(state: MachineState, time: number): void {
    this.advance(time);
    this.state = state;
    this.since = time;
    this.observedFrom ??= time;
  }

  /**
   * Parts and scrap a counter rose by between its reading at `from` and its reading at `time`: the
   * share of that interval inside the shift and after the first state seen, rounded down.
   */
  addParts(parts: number, scrap: number, time: number, from = time): void {
    this.advance(time);
    if (!this.tally) return; // between shifts: nothing is planned
    const start = Math.max(this.tally.window.start, this.observedFrom ?? time);
    const share = from >= start || time <= from ? 1 : Math.max(0, time - start) / (time - from);
    this.tally.parts += Math.floor(parts * share);
    this.tally.scrap += Math.floor(scrap * share);
  }

  /** Brings the tally up to `time`, closing shifts that ended; returns the current shift's figures. */
  advance(time: number): OeeFigures | undefined {
    for (;;) {
      if (!this.tally) {
        this.tally = (this.since > 0 ? this.openShift(this.since) : undefined) ?? this.openShift(time);
        if (!this.tally) {
          this.since = Math.max(this.since, time);
          return undefined;
        }
        this.since = Math.max(this.since, this.tally.window.start);
      }
      const tally = this.tally;
      const until = Math.min(time, tally.window.end);
      if (this.state !== undefined && until > this.since) tally.time[this.state] += until - this.since;
      this.since = Math.max(this.since, until);
      if (time < tally.window.end) return figures(tally, this.options.idealCycleTimeMs);
      this.onShiftEnd(tally.window, figures(tally, this.options.idealCycleTimeMs));
      this.tally = undefined;
    }
  }

  private openShift(time: number): ShiftTally | undefined {
    const window = shiftAt(this.options.shifts, this.options.timezone, time);
    if (!window) return undefined;
    return {
      window,
      time: { running: 0, idle: 0, planned_stop: 0, fault: 0, offline: 0 },
      parts: 0,
      scrap: 0,
    };
  }
}

function figures(tally: ShiftTally, idealCycleTimeMs: number): OeeFigures {
  const t = tally.time;
  const planned = t.running + t.idle + t.fault;
  const out: OeeFigures = {};
  if (planned > 0) out.availability = t.running / planned;
  if (t.running > 0) out.performance = (idealCycleTimeMs * tally.parts) / t.running;
  if (tally.parts > 0) out.quality = (tally.parts - tally.scrap) / tally.parts;
  if (out.availability !== undefined && out.performance !== undefined && out.quality !== undefined) {
    out.oee = out.availability * out.performance * out.quality;
  }
  return out;
}
