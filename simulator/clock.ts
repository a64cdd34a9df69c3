/**
 * Simulated time: start + elapsed real time × speed. Speed 0 freezes the plant at `start` (stable
 * readings for tests); speed 60 runs an hour per real minute.
 */

export interface SimClock {
  /** Simulated time now, ms since the Unix epoch. */
  now(): number;
  readonly start: number;
  readonly speed: number;
}

export function createClock(start: number, speed: number, realNow: () => number = Date.now): SimClock {
  if (!Number.isFinite(start)) throw new Error('simulated start time is not a valid time');
  if (!Number.isFinite(speed) || speed < 0) throw new Error(`speed must be a number ≥ 0, got ${speed}`);
  const realStart = realNow();
  return {
    start,
    speed,
    now: () => Math.floor(start + (realNow() - realStart) * speed),
  };
}

/** Parses a start time: an ISO 8601 string with a zone (Z or ±hh:mm), or a Date or ms number. */
export function parseStart(start: string | number | Date): number {
  if (typeof start === 'number') return start;
  if (start instanceof Date) return start.getTime();
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(start.trim())) {
    throw new Error(`start time '${start}' needs a zone, e.g. 2025-03-12T10:00:00+08:00`);
  }
  const ms = Date.parse(start);
  if (Number.isNaN(ms)) throw new Error(`start time '${start}' is not an ISO 8601 date-time`);
  return ms;
}
