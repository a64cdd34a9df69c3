/**
 * node-opcua prints its warnings and errors with console.log, which would mix unstructured lines
 * into the gateway's log and into `shugai browse` output. They are routed to pino on stderr as soon
 * as this module loads (before node-opcua's own start-up checks finish), at debug level for
 * warnings: they are node-opcua's internal diagnostics; the collector logs what matters to an
 * operator itself, with the device named.
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua-debug';
import { createLogger, type Logger } from '../../core/log.ts';

function route(log: Logger): void {
  // node-opcua calls these with its caller context first, then the message parts.
  const write =
    (level: 'debug' | 'warn') =>
    (...parts: unknown[]) => {
      const text = parts
        .filter((part) => typeof part === 'string' || typeof part === 'number')
        .join(' ')
        .trim();
      if (text) log[level]({ source: 'node-opcua' }, text);
    };
  setWarningLogger(write('debug'));
  setErrorLogger(write('warn'));
}

route(createLogger('node-opcua'));

/** Sends node-opcua's messages to this logger instead (the gateway's, or a silent one). */
export function quietOpcuaLogs(log: Logger): void {
  route(log);
}
