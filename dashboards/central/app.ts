/**
 * The central attestation service as a Fastify app (built here; server.ts listens). Gateways post
 * their signed attestations; the bureau reads a gateway's key, its attestations over a window and a
 * summary of its chain. Writes are authenticated by the signatures themselves (only registered keys
 * are accepted, unregistered senders are refused before anything is stored); reads need the bearer
 * token configured at start.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import type { Logger } from '../../core/log.ts';
import { type Attestation, signatureValid } from '../../gateway/attest/attestation.ts';
import { CENTRAL_MAX_BODY_BYTES, CENTRAL_MAX_ITEMS } from '../../gateway/sinks/central/schema.ts';
import { strictJsonBodies } from '../json-body.ts';
import { CentralError } from './errors.ts';
import {
  attestationsQuerySchema,
  chainSchema,
  errorSchema,
  gatewayParamsSchema,
  ingestBodySchema,
  ingestResultSchema,
} from './schemas.ts';
import type { CentralStore, RegisteredGateway, VerifiedItem } from './store.ts';

/** Reads need this bearer token, or are switched off explicitly: there is no open default. */
export type ReadAccess = { token: string } | { disabled: true };

export interface CentralOptions {
  store: CentralStore;
  reads: ReadAccess;
  /** Most items in one POST (default CENTRAL_MAX_ITEMS). */
  maxItems?: number;
  /** Largest POST body in bytes (default CENTRAL_MAX_BODY_BYTES). */
  bodyLimit?: number;
  /** Write requests allowed per client address per window (default 600 a minute). */
  writeRate?: { max: number; windowMs: number };
  now?: () => number;
}

export const MIN_TOKEN_LENGTH = 16;

/**
 * Builds the app with its error handling; `logger` is the process logger (none in tests); `https`
 * the certificate and key to serve TLS with.
 */
export function buildCentralApp(
  options: CentralOptions,
  logger?: Logger,
  https?: { cert: Buffer; key: Buffer },
): FastifyInstance {
  const base: FastifyBaseLogger | undefined = logger;
  const app = Fastify({
    ...(base ? { loggerInstance: base } : { logger: false }),
    // An https server is an http.Server with TLS in front; the routes do not see the difference.
    ...(https ? { https } : {}),
    bodyLimit: 64 * 1024,
    // One line per request would drown the log (each gateway posts every second): refusals, forks
    // and failures are logged below instead.
    disableRequestLogging: true,
    routerOptions: { maxParamLength: 128 },
    // No type coercion and no silent removal: a field of the wrong type or an unknown field is a 400.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // A body with a key twice is refused (400), not read as its last value.
  strictJsonBodies(app);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof CentralError) {
      if (
        error.code === 'NOT_REGISTERED' ||
        error.code === 'BAD_SIGNATURE' ||
        error.code === 'TOO_MANY_FORKS'
      )
        request.log.warn(
          { code: error.code, client: request.ip, reason: error.message },
          'attestations refused',
        );
      if (error.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Bearer');
      if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
      return reply.code(error.statusCode).send({ error: error.message, code: error.code });
    }
    if (error.validation) {
      return reply.code(400).send({ error: error.message, code: 'BAD_REQUEST' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: error.message, code: error.code ?? 'BAD_REQUEST' });
    }
    request.log.error({ err: error.message }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the service log', code: 'INTERNAL' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'NOT_FOUND' }),
  );
  app.register(centralRoutes, options);
  return app;
}

/** The routes, as a plugin: healthz, the write endpoint and the token-guarded reads. */
export const centralRoutes: FastifyPluginAsync<CentralOptions> = async (app, options) => {
  const { store } = options;
  const maxItems = options.maxItems ?? CENTRAL_MAX_ITEMS;
  const now = options.now ?? Date.now;
  const limiter = rateLimiter(options.writeRate ?? { max: 600, windowMs: 60_000 }, now);
  const tokenDigest = 'token' in options.reads ? readTokenDigest(options.reads.token) : undefined;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.post<{ Body: { items: { stamp: number; attestation: Attestation }[] } }>(
    '/api/v1/attestations',
    {
      bodyLimit: options.bodyLimit ?? CENTRAL_MAX_BODY_BYTES,
      schema: {
        body: ingestBodySchema(maxItems),
        response: { 200: ingestResultSchema, '4xx': errorSchema },
      },
      onRequest: async (request) => {
        const wait = limiter(request.ip);
        if (wait > 0)
          throw new CentralError(
            'RATE_LIMITED',
            `too many write requests from this address; try again in ${wait} s`,
            wait,
          );
      },
    },
    async (request) => {
      const items = request.body.items;
      // Every check before anything is stored: an unregistered sender costs no disk.
      const keys = new Map<string, RegisteredGateway>();
      for (const item of items) {
        const id = item.attestation.gateway;
        if (keys.has(id)) continue;
        const gateway = store.gateway(id);
        if (!gateway)
          throw new CentralError(
            'NOT_REGISTERED',
            `gateway ${id} is not registered with this service; its attestations are refused until an operator registers its key`,
          );
        keys.set(id, gateway);
      }
      const verified: VerifiedItem[] = [];
      for (const [index, item] of items.entries()) {
        const gateway = keys.get(item.attestation.gateway) as RegisteredGateway;
        if (!signatureValid(item.attestation, gateway.publicKey))
          throw new CentralError(
            'BAD_SIGNATURE',
            `items[${index}]: attestation seq ${item.attestation.seq} of gateway ${gateway.id} is not signed by its registered key ${gateway.fingerprint}`,
          );
        verified.push({ stamp: item.stamp, attestation: item.attestation });
      }
      const result = store.ingest(verified);
      for (const fork of result.forked)
        request.log.warn(fork, 'a second attestation with the same seq: the chain forks; both are kept');
      return { accepted: result.accepted, duplicates: result.duplicates, forks: result.forks };
    },
  );

  // The reads, behind the bearer token.
  await app.register(async (reads) => {
    reads.addHook('onRequest', async (request) => {
      if (!tokenDigest) throw new CentralError('READS_DISABLED', 'reads are disabled on this service');
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (!match || !sameToken(match[1] as string, tokenDigest))
        throw new CentralError(
          'UNAUTHORIZED',
          'a valid read token is required: Authorization: Bearer <token>',
        );
    });

    const known = (id: string): RegisteredGateway => {
      const gateway = store.gateway(id);
      if (!gateway) throw new CentralError('UNKNOWN_GATEWAY', `gateway ${id} is not registered`);
      return gateway;
    };

    reads.get<{ Params: { id: string } }>(
      '/api/v1/gateways/:id/key',
      {
        schema: {
          params: gatewayParamsSchema,
          response: { 200: { type: 'string' }, '4xx': errorSchema },
        },
      },
      async (request, reply) => {
        reply.type('text/plain; charset=utf-8');
        return known(request.params.id).publicKeyPem;
      },
    );

    reads.get<{ Params: { id: string }; Querystring: { from: string; to: string } }>(
      '/api/v1/gateways/:id/attestations',
      {
        schema: {
          params: gatewayParamsSchema,
          querystring: attestationsQuerySchema,
          response: { '4xx': errorSchema },
        },
      },
      async (request, reply) => {
        const from = Number(request.query.from);
        const to = Number(request.query.to);
        if (to <= from) throw new CentralError('BAD_REQUEST', `to (${to}) must be after from (${from})`);
        const gateway = known(request.params.id);
        reply.type('application/x-ndjson; charset=utf-8');
        return reply.send(Readable.from(store.ndjson(gateway.id, from, to)));
      },
    );

    reads.get<{ Params: { id: string } }>(
      '/api/v1/gateways/:id/chain',
      { schema: { params: gatewayParamsSchema, response: { 200: chainSchema, '4xx': errorSchema } } },
      async (request) => store.chain(known(request.params.id)),
    );
  });
};

/** The token is kept only as its SHA-256, and compared in constant time whatever its length. */
function readTokenDigest(token: string): Buffer {
  if (token.length < MIN_TOKEN_LENGTH)
    throw new CentralError('CONFIG', `the read token must have at least ${MIN_TOKEN_LENGTH} characters`);
  return createHash('sha256').update(token).digest();
}

function sameToken(given: string, digest: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), digest);
}

/**
 * A fixed-window counter per client address: 0 while the address is within its budget, else the
 * seconds until the window ends. The map is emptied with each window, so it cannot grow without bound
 * for longer than one window.
 */
function rateLimiter(
  limit: { max: number; windowMs: number },
  now: () => number,
): (address: string) => number {
  let windowStart = now();
  const counts = new Map<string, number>();
  return (address) => {
    const t = now();
    if (t - windowStart >= limit.windowMs) {
      windowStart = t;
      counts.clear();
    }
    const n = (counts.get(address) ?? 0) + 1;
    counts.set(address, n);
    return n <= limit.max ? 0 : Math.max(1, Math.ceil((windowStart + limit.windowMs - t) / 1000));
  };
}
