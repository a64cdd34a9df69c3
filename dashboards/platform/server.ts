/** Runs the platform: opens and migrates the database, listens, and closes both gracefully. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.ts';
import { pruneRateLimits } from './accounts/rate-limit.ts';
import { pruneSessions } from './accounts/sessions.ts';
import { buildPlatformApp, type PlatformOptions } from './app.ts';
import { openDatabase, type PlatformDb } from './db/connect.ts';
import { migrate } from './db/migrate.ts';

export interface ServeOptions extends Omit<PlatformOptions, 'platform'> {
  /** A SQLite file, or postgres://user:password@host/database. */
  db: string;
  host: string;
  port: number;
  /** PEM files to serve HTTPS; plain HTTP without them (e.g. behind a TLS-terminating proxy). */
  tls?: { cert: string; key: string };
  /** Runs on the migrated database before the service listens (e.g. `--seed-demo`'s data). */
  prepare?: (platform: PlatformDb) => Promise<void>;
}

export interface RunningPlatform {
  app: FastifyInstance;
  /** The service's database (closed with the service). */
  platform: PlatformDb;
  url: string;
  port: number;
  close(): Promise<void>;
}

const PRUNE_EVERY_MS = 10 * 60_000;
const DAY = 24 * 3600_000;

export async function startPlatformServer(options: ServeOptions, logger?: Logger): Promise<RunningPlatform> {
  const { db, host, port, tls, prepare, ...rest } = options;
  const platform = openDatabase(db);
  let app: FastifyInstance;
  try {
    const { applied } = await migrate(platform);
    if (applied.length > 0) logger?.info({ db: platform.location, applied }, 'database migrated');
    await prepare?.(platform);
    app = buildPlatformApp(
      { ...rest, platform },
      logger,
      tls && { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    );
    // Expired sessions and old rate-limit windows: any process may prune, the rows are shared.
    const prune = setInterval(() => {
      const now = Date.now();
      Promise.all([pruneSessions(platform.db, now), pruneRateLimits(platform.db, now - DAY)]).catch(
        (error: Error) => logger?.warn({ err: error.message }, 'pruning sessions and rate limits failed'),
      );
    }, PRUNE_EVERY_MS);
    prune.unref();
    app.addHook('onClose', async () => {
      clearInterval(prune);
      await platform.close();
    });
    await app.listen({ host, port });
  } catch (error) {
    await platform.close();
    throw error;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    app,
    platform,
    port: bound,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${bound}`,
    close: () => app.close(),
  };
}
