/** Runs the central service: opens the store, listens, and closes both gracefully. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.ts';
import { buildCentralApp, type CentralOptions, MIN_TOKEN_LENGTH, type ReadAccess } from './app.ts';
import { CentralError } from './errors.ts';
import { CentralStore } from './store.ts';

export interface ServeOptions extends Omit<CentralOptions, 'store'> {
  db: string;
  host: string;
  port: number;
  /** PEM files to serve HTTPS; plain HTTP without them (e.g. behind a TLS-terminating proxy). */
  tls?: { cert: string; key: string };
}

export interface RunningCentral {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startCentralServer(options: ServeOptions, logger?: Logger): Promise<RunningCentral> {
  const { db, host, port, tls, ...rest } = options;
  const store = new CentralStore(db);
  let app: FastifyInstance;
  try {
    app = buildCentralApp(
      { ...rest, store },
      logger,
      tls && { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    );
    app.addHook('onClose', async () => store.close());
    await app.listen({ host, port });
  } catch (error) {
    store.close();
    throw error;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    app,
    port: bound,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${bound}`,
    close: () => app.close(),
  };
}

/**
 * The read access from the command line: a token file, or SHUGAI_CENTRAL_READ_TOKEN, or reads
 * disabled explicitly. Nothing given is refused: the service never starts with open reads.
 */
export function readAccess(
  options: { readTokenFile?: string; readsDisabled?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): ReadAccess {
  const fromEnv = env.SHUGAI_CENTRAL_READ_TOKEN;
  const given = [options.readTokenFile !== undefined, fromEnv !== undefined, options.readsDisabled === true];
  if (given.filter(Boolean).length > 1)
    throw new CentralError(
      'CONFIG',
      'give one of --read-token-file, SHUGAI_CENTRAL_READ_TOKEN or --reads-disabled, not several',
    );
  if (options.readsDisabled) return { disabled: true };
  let token: string;
  if (options.readTokenFile !== undefined) {
    try {
      token = readFileSync(options.readTokenFile, 'utf8').trim();
    } catch (error) {
      throw new CentralError(
        'CONFIG',
        `cannot read the read token file ${options.readTokenFile}: ${(error as Error).message}`,
      );
    }
  } else if (fromEnv !== undefined) {
    token = fromEnv.trim();
  } else {
    throw new CentralError(
      'CONFIG',
      'no read token: give --read-token-file FILE or SHUGAI_CENTRAL_READ_TOKEN, or --reads-disabled to serve writes only',
    );
  }
  if (token.length < MIN_TOKEN_LENGTH)
    throw new CentralError('CONFIG', `the read token must have at least ${MIN_TOKEN_LENGTH} characters`);
  return { token };
}
