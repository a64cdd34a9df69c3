import { z } from 'zod';
import { expected } from '../../core/input.ts';

/** What every sink's config has: its name, which is also its reader's name in the buffer. */
export const sinkNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, { error: (issue) => expected('a name of letters, digits, _ . -', issue.input) })
  .describe('Sink name; also its reader name in the buffer');

/** A sink's base URL: `example` shows its form in the message when it is not one. */
export const sinkUrl = (example: string, protocols?: RegExp) =>
  z.url({
    ...(protocols ? { protocol: protocols } : {}),
    error: (issue) => expected(`a URL like ${example}`, issue.input),
  });

/**
 * Compression of request bodies: true is gzip level 1, false none, 1–9 a level; unset, level 1 unless
 * the store is on this machine (gzip.ts: gzipLevel). Level 1 makes line protocol 12–19× smaller for
 * 0.4–0.8 µs of CPU a sample; level 6 (zlib's default) gains 10 % more for 2–3× the CPU, and sending
 * bodies as they are takes longer even on a 100 Mbit/s LAN (bench/sink-gzip.ts).
 */
export const gzipSetting = z
  .union([z.boolean(), z.number().int().min(1).max(9)])
  .optional()
  .describe(
    'Compress request bodies: true (gzip level 1), false, or a gzip level 1-9; default: level 1, none for a store on this machine (a loopback address)',
  );
