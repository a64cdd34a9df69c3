import { z } from 'zod';
import { expected } from '../../core/input.ts';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const SIZE = 'a size like 64MiB, 512KB or a number of bytes';
const DURATION = 'a duration like 500ms, 30s, 5m, 1h, 1d or milliseconds';

/**
 * A value written as a number or a string with a unit, read by `read` (undefined when it is neither);
 * any refusal says `what` is expected and what was given.
 */
function withUnits(what: string, read: (value: number | string) => number | undefined) {
  return z
    .union([z.number(), z.string()], { error: (issue) => expected(what, issue.input) })
    .transform((value, ctx) => {
      const result = read(value);
      if (result !== undefined) return result;
      ctx.addIssue({ code: 'custom', message: expected(what, value) });
      return z.NEVER;
    });
}

/** A byte size: a whole number of bytes, or a string like `512MiB`, `2GB`, `64 KiB`. */
export const byteSize = withUnits(SIZE, (value) => {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const factor = match ? SIZE_UNITS[(match[2] || 'b').toLowerCase()] : undefined;
  return match && factor !== undefined ? Math.floor(Number(match[1]) * factor) : undefined;
});

/** A duration: a number of milliseconds, or a string like `10s`, `5m`, `7d`, `250ms`. */
export const duration = withUnits(DURATION, (value) => {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  return match ? Math.round(Number(match[1]) * (DURATION_UNITS[match[2] as string] as number)) : undefined;
});

const FREE_SPACE = 'free space as a share like 5%, a size like 256MiB, or both: 5%, 256MiB';

/** Free space to leave on a filesystem: a size (`512MiB`), a share of the filesystem (`5%`), or both (`5%, 256MiB`: the smaller). */
export const freeSpace = z
  .union([z.number(), z.string()], { error: (issue) => expected(FREE_SPACE, issue.input) })
  .transform((value, ctx) => {
    const out: { bytes?: number; percent?: number } = {};
    for (const part of typeof value === 'number' ? [value] : value.split(',')) {
      const percent = typeof part === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(part) : null;
      if (percent && Number(percent[1]) <= 100 && out.percent === undefined) {
        out.percent = Number(percent[1]);
        continue;
      }
      const size = byteSize.safeParse(typeof part === 'string' ? part.trim() : part);
      if (size.success && out.bytes === undefined) {
        out.bytes = size.data;
        continue;
      }
      ctx.addIssue({ code: 'custom', message: expected(FREE_SPACE, value) });
      return z.NEVER;
    }
    return out;
  });
