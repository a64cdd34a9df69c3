/**
 * `shugai … | head`: once the reader closes the pipe, each write fails with EPIPE (Node ignores
 * SIGPIPE), and with no handler that is an unhandled 'error' event: a stack trace. Here a closed
 * stdout or stderr ends the command quietly instead, as SIGPIPE ends a C tool: exit 141 (128 +
 * SIGPIPE), or the failure's own exit code when one is already set. A command that runs until
 * stopped (gateway, simulate, central serve, demo) is stopped as by SIGTERM, so it closes its buffer
 * and stores cleanly first.
 */
export const EXIT_CLOSED_PIPE = 141;

export function exitQuietlyOnClosedPipes(): void {
  let closing = false;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (closing) return;
    closing = true;
    const failed = typeof process.exitCode === 'number' && process.exitCode !== 0;
    process.exitCode = failed ? process.exitCode : EXIT_CLOSED_PIPE;
    if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
    else process.exit();
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
