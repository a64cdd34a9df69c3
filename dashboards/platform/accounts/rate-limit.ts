/**
 * Fixed-window counters kept in the database, so every `serve` process sharing it shares the budget
 * (a login limit kept in memory would double with each process). One row per key: a window opens at
 * the key's first event and lasts `windowMs`; the next event after it opens a new one.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/connect.ts';

export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface Counted {
  /** Events in the current window, this one included. */
  count: number;
  /** Seconds until the window ends (at least 1). */
  retryAfter: number;
}

const secondsLeft = (windowStart: number, limit: RateLimit, now: number) =>
  Math.max(1, Math.ceil((windowStart + limit.windowMs - now) / 1000));

/** Counts one event for `key`, in one statement (an upsert), so concurrent processes never lose a count. */
export async function countEvent(db: Executor, key: string, limit: RateLimit, now: number): Promise<Counted> {
  const expired = sql<boolean>`excluded.window_start - rate_limits.window_start >= ${limit.windowMs}`;
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        window_start: sql`case when ${expired} then excluded.window_start else rate_limits.window_start end`,
        count: sql`case when ${expired} then 1 else rate_limits.count + 1 end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  return { count: row.count, retryAfter: secondsLeft(row.window_start, limit, now) };
}

/** Events counted for `key` in its current window, and when that window ends. */
export async function eventsInWindow(
  db: Executor,
  key: string,
  limit: RateLimit,
  now: number,
): Promise<Counted> {
  const row = await db
    .selectFrom('rate_limits')
    .select(['count', 'window_start'])
    .where('key', '=', key)
    .where('window_start', '>', now - limit.windowMs)
    .executeTakeFirst();
  return row
    ? { count: row.count, retryAfter: secondsLeft(row.window_start, limit, now) }
    : { count: 0, retryAfter: 0 };
}

/** Removes the rows whose window opened before `before` (older than the longest window). */
export async function pruneRateLimits(db: Executor, before: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', before).execute();
}
