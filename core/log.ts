import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: structured JSON lines (pino) on stderr, so stdout stays free for command output.
 * Secrets never go into a log line: pass ids and counts, not configs or payloads.
 */
export function createLogger(name: string, level = process.env.SHUGAI_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['*.password', '*.token', '*.privateKey', '*.passphrase'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** A logger that keeps its entries in memory, for tests that assert what was logged. */
export function memoryLogger(): { logger: Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => entries.push(JSON.parse(line)) });
  return { logger, entries };
}
