/**
 * The plant calendar in Asia/Shanghai time. China has kept UTC+8 without daylight saving since 1991,
 * so local time is a fixed offset and needs no time-zone database. Time inside the model is counted
 * in whole minutes since the Unix epoch ("minute index"); states are constant within a minute.
 */

export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;
const SHANGHAI_OFFSET_MINUTES = 480;

/** `continuous`: worked around the clock every day, no break and no maintenance (a plant without planned stops). */
export type ShiftPattern = 'two-shift' | 'day-shift' | 'continuous';
/** What the calendar plans for a machine: work, a meal break, off (no shift), weekly maintenance. */
export type PlannedKind = 'work' | 'break' | 'off' | 'maintenance';

/** A half-open interval [start, end) of minute indices with what the calendar plans for it. */
export interface PlannedSegment {
  start: number;
  end: number;
  kind: PlannedKind;
}

export const minuteOf = (t: number): number => Math.floor(t / MINUTE_MS);
/** The local (Shanghai) calendar day number of a minute index: days since 1970-01-01 local. */
export const localDayOf = (minute: number): number =>
  Math.floor((minute + SHANGHAI_OFFSET_MINUTES) / DAY_MINUTES);
/** The minute index of local midnight starting a local day. */
export const localDayStart = (day: number): number => day * DAY_MINUTES - SHANGHAI_OFFSET_MINUTES;
/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;

const h = (hours: number, minutes = 0): number => hours * 60 + minutes;

/** Shift times, local: day shift 08:00–20:00 with lunch 12:00–13:00; night shift 20:00–08:00 with a meal break 00:00–00:30. */
export const DAY_SHIFT_START = h(8);
export const NIGHT_SHIFT_START = h(20);
/** Weekly maintenance: Sunday 08:00–16:00; the rest of Sunday's day shift is off. */
export const MAINTENANCE = { weekday: 0, start: h(8), end: h(16) } as const;

type Template = readonly (readonly [number, number, PlannedKind])[];

const TWO_SHIFT: Template = [
  [0, h(0, 30), 'break'],
  [h(0, 30), h(12), 'work'],
  [h(12), h(13), 'break'],
  [h(13), h(24), 'work'],
];
const TWO_SHIFT_SUNDAY: Template = [
  [0, h(0, 30), 'break'],
  [h(0, 30), h(8), 'work'],
  [h(8), h(16), 'maintenance'],
  [h(16), h(20), 'off'],
  [h(20), h(24), 'work'],
];
const DAY_SHIFT: Template = [
  [0, h(8), 'off'],
  [h(8), h(12), 'work'],
  [h(12), h(13), 'break'],
  [h(13), h(20), 'work'],
  [h(20), h(24), 'off'],
];
const DAY_SHIFT_SUNDAY: Template = [
  [0, h(8), 'off'],
  [h(8), h(16), 'maintenance'],
  [h(16), h(24), 'off'],
];
const CONTINUOUS: Template = [[0, h(24), 'work']];

const TEMPLATES: Record<ShiftPattern, { weekday: Template; sunday: Template }> = {
  'two-shift': { weekday: TWO_SHIFT, sunday: TWO_SHIFT_SUNDAY },
  'day-shift': { weekday: DAY_SHIFT, sunday: DAY_SHIFT_SUNDAY },
  continuous: { weekday: CONTINUOUS, sunday: CONTINUOUS },
};

/** The planned segments of one local day for a shift pattern, in absolute minute indices. */
export function plannedDay(pattern: ShiftPattern, day: number): PlannedSegment[] {
  const templates = TEMPLATES[pattern];
  const template = weekdayOf(day) === MAINTENANCE.weekday ? templates.sunday : templates.weekday;
  const base = localDayStart(day);
  return template.map(([start, end, kind]) => ({ start: base + start, end: base + end, kind }));
}

/** The minute index at which the shift containing `minute` began (08:00 or 20:00 local). */
export function shiftStartOf(minute: number): number {
  const day = localDayOf(minute);
  const local = minute - localDayStart(day);
  if (local >= NIGHT_SHIFT_START) return localDayStart(day) + NIGHT_SHIFT_START;
  if (local >= DAY_SHIFT_START) return localDayStart(day) + DAY_SHIFT_START;
  return localDayStart(day - 1) + NIGHT_SHIFT_START;
}

/** Whole days since the end of the last weekly maintenance, at local noon of `day` (0–6). */
export function daysSinceMaintenance(day: number): number {
  const sinceSunday = (weekdayOf(day) - MAINTENANCE.weekday + 7) % 7;
  return sinceSunday;
}
