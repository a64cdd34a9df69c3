/** Shift boundaries in a plant's local time zone, for per-shift OEE. */

export interface ShiftDefinition {
  name: string;
  /** HH:MM local time. */
  start: string;
  end: string;
}

export interface ShiftWindow {
  name: string;
  /** ms since epoch, inclusive. */
  start: number;
  /** ms since epoch, exclusive. */
  end: number;
}

const DAY = 86_400_000;

/** The zone's offset from UTC at `time`, in ms (Asia/Shanghai: +8 h all year). */
export function zoneOffsetMs(timeZone: string, time: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(time))
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0; // "GMT" alone: UTC
  const sign = match[1] === '-' ? -1 : 1;
  return sign * (Number(match[2]) * 3_600_000 + Number(match[3]) * 60_000);
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** The shift that contains `time`, or undefined when it falls outside every shift. */
export function shiftAt(
  shifts: readonly ShiftDefinition[],
  timeZone: string,
  time: number,
): ShiftWindow | undefined {
  const offset = zoneOffsetMs(timeZone, time);
  const localMidnight = Math.floor((time + offset) / DAY) * DAY - offset;
  // A shift that started yesterday may still be running (night shift past midnight).
  for (const dayStart of [localMidnight - DAY, localMidnight]) {
    for (const shift of shifts) {
      const start = dayStart + minutes(shift.start) * 60_000;
      let end = dayStart + minutes(shift.end) * 60_000;
      if (end <= start) end += DAY;
      if (time >= start && time < end) return { name: shift.name, start, end };
    }
  }
  return undefined;
}
