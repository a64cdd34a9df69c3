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
