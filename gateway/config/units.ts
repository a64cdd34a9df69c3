import { z } from 'zod';

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

/** A byte size: a number of bytes, or a string like `512MiB`, `2GB`, `64 KiB`. */
export const byteSize = z.union([
  z.number().int().nonnegative(),
  z.string().transform((text, ctx) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
    const factor = match ? SIZE_UNITS[(match[2] || 'b').toLowerCase()] : undefined;
    if (!match || factor === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a size; write e.g. 512MiB, 2GB or a number of bytes`,
      });
      return z.NEVER;
    }
    return Math.floor(Number(match[1]) * factor);
  }),
]);

/** A duration: a number of milliseconds, or a string like `10s`, `5m`, `7d`, `250ms`. */
export const duration = z.union([
  z.number().nonnegative(),
  z.string().transform((text, ctx) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration; write e.g. 250ms, 10s, 5m, 12h, 7d`,
      });
      return z.NEVER;
    }
    return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] as string] as number));
  }),
]);

/** Free space to leave on a filesystem: a size (`512MiB`), a share of the filesystem (`5%`), or both (`5%, 256MiB`: the smaller). */
export const freeSpace = z.union([
  z
    .number()
    .int()
    .nonnegative()
    .transform((bytes) => ({ bytes })),
  z.string().transform((text, ctx) => {
    const out: { bytes?: number; percent?: number } = {};
    for (const part of text.split(',')) {
      const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(part);
      if (percent && Number(percent[1]) <= 100 && out.percent === undefined) {
        out.percent = Number(percent[1]);
        continue;
      }
      const size = byteSize.safeParse(part.trim());
      if (size.success && typeof size.data === 'number' && out.bytes === undefined) {
        out.bytes = size.data;
        continue;
      }
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not free space; write a share like 5%, a size like 256MiB, or both: 5%, 256MiB`,
      });
      return z.NEVER;
    }
    return out;
  }),
]);
