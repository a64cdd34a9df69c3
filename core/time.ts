/**
 * Times as people in China read them: Beijing time (Asia/Shanghai), which has been UTC+8 all year
 * since 1991, so a fixed offset is exact and needs no time-zone database.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

const instant = (t: number | string): number => (typeof t === 'number' ? t : Date.parse(t));

/** `2026-12-03 14:05`: the minute in Beijing time of an epoch-ms or an ISO string with offset. */
export function beijingMinute(t: number | string): string {
  return new Date(instant(t) + BEIJING_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** `2026-12-03`: the day in Beijing time (a UTC date can be the day before). */
export function beijingDate(t: number | string): string {
  return new Date(instant(t) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}
