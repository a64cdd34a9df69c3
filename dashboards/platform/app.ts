/**
 * The platform (`shugai serve`) as a Fastify app, built here and listened by server.ts: the enterprise
 * file, accounts, the central attestation routes, OpenAPI at /docs. Tests build it and call inject().
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { AssessmentError } from '../../assessment/errors.ts';
import type { Logger } from '../../core/log.ts';
import { ServiceError } from '../central/errors.ts';
import { centralRoutes } from '../central/routes.ts';
import { CentralStore } from '../central/store.ts';
import { strictJsonBodies } from '../json-body.ts';
import type { PlantSource } from '../pages/plant-data.ts';
import { pagesPlugin } from '../pages/plugin.ts';
import { countEvent, type RateLimit } from './accounts/rate-limit.ts';
import { accountRoutes, loginRoute, type SessionOptions } from './accounts/routes.ts';
import { applicationRoutes } from './applications/routes.ts';
import { assessmentRoutes } from './assessments/routes.ts';
import { authenticate, centralReadAccess, decoratePrincipal } from './auth.ts';
import { isUniqueViolation, type PlatformDb } from './db/connect.ts';
import { decisionRoutes } from './decisions/routes.ts';
import { enterpriseRoutes } from './enterprises/routes.ts';
import { PlatformError } from './errors.ts';
import { exportRoutes } from './export/routes.ts';
import { samplingRoutes } from './sampling/routes.ts';
import type { VerifyOptions } from './verifications/compute.ts';
import { verificationRoutes } from './verifications/routes.ts';

export interface PlatformOptions {
  platform: PlatformDb;
  /** The service-wide bearer token for reading the central copy (as `shugai verify --central` sends). */
  centralReadToken?: string;
  /** Central writes allowed per client address (default 600 a minute), counted in the database. */
  writeRate?: RateLimit;
  /** Failed logins allowed per account name (default 5) and per address (default 50) in 15 minutes. */
  loginRate?: { perName: RateLimit; perAddress: RateLimit };
  sessionTtlMs?: number;
  /** Cookies are `Secure` unless this is false (plain-HTTP development only). */
  secureCookies?: boolean;
  /** Largest attachment accepted (default 10 MiB). */
  maxUploadBytes?: number;
  /** Most attestations in one POST and the largest such body (the gateway sink's limits by default). */
  maxItems?: number;
  bodyLimit?: number;
  maxForks?: number;
  now?: () => number;
  /** Opens a gateway's store for a verification (default: `shugai verify`'s openStore). */
  openStore?: VerifyOptions['openStore'];
  /** The stores gateways write, for the plant pages (`serve --plant <gateway config>`). */
  plants?: readonly PlantSource[];
}

const MIN_TOKEN_LENGTH = 16;
const FIFTEEN_MINUTES = 15 * 60_000;

export function buildPlatformApp(
  options: PlatformOptions,
  logger?: Logger,
  https?: { cert: Buffer; key: Buffer },
): FastifyInstance {
  const { db } = options.platform;
  const now = options.now ?? Date.now;
  const maxUploadBytes = options.maxUploadBytes ?? 10 * 1024 * 1024;
  if (options.centralReadToken !== undefined && options.centralReadToken.length < MIN_TOKEN_LENGTH)
    throw new PlatformError('CONFIG', `the read token must have at least ${MIN_TOKEN_LENGTH} characters`);
  const base: FastifyBaseLogger | undefined = logger;
  const app = Fastify({
    ...(base ? { loggerInstance: base } : { logger: false }),
    ...(https ? { https } : {}),
    bodyLimit: 1024 * 1024,
    // Gateways post every second: refusals and failures are logged by the error handler instead.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 128 },
    // No type coercion and no silent removal: a field of the wrong type or an unknown field is a 400.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  strictJsonBodies(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'NOT_FOUND' }),
  );
  decoratePrincipal(app);

  app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'shugai platform',
        version: '1',
        description: "The bureau's platform: the enterprise file, accounts and the central attestation copy",
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'shugai_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  // The UI's files come from the package itself: no CDN.
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.register(fastifyCookie);
  app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  app.register(fastifyMultipart, {
    limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 4096 },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  const writeRate = options.writeRate ?? { max: 600, windowMs: 60_000 };
  app.register(centralRoutes, {
    store: new CentralStore(db, options.maxForks),
    readAccess: centralReadAccess(db, options.centralReadToken),
    async writeAllowance(address) {
      const counted = await countEvent(db, `write:${address}`, writeRate, now());
      return counted.count > writeRate.max ? counted.retryAfter : 0;
    },
    ...(options.maxItems === undefined ? {} : { maxItems: options.maxItems }),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
  });

  const session: SessionOptions = {
    db,
    now,
    ttlMs: options.sessionTtlMs ?? 8 * 3600_000,
    secureCookies: options.secureCookies ?? true,
    perName: options.loginRate?.perName ?? { max: 5, windowMs: FIFTEEN_MINUTES },
    perAddress: options.loginRate?.perAddress ?? { max: 50, windowMs: FIFTEEN_MINUTES },
  };
  app.register(loginRoute, session);
  // Everything else under /api/v1 needs an account: one hook for the whole subtree.
  app.register(async (api) => {
    api.addHook('preValidation', authenticate(db, now));
    accountRoutes(api, session);
    enterpriseRoutes(api, db, now);
    assessmentRoutes(api, db, now);
    applicationRoutes(api, db, now);
    verificationRoutes(api, db, now, options.openStore);
    decisionRoutes(api, db, now);
    exportRoutes(api, db);
    samplingRoutes(api, db, now);
  });
  app.register(pagesPlugin, {
    db,
    now,
    maxUploadBytes,
    ...(options.plants ? { plants: options.plants } : {}),
    ...(options.openStore ? { openStore: options.openStore } : {}),
  });
  return app;
}

// Multipart limits; a JSON body over its limit keeps Fastify's own code (FST_ERR_CTP_BODY_TOO_LARGE), as the central service always answered.
const UPLOAD_TOO_LARGE = new Set([
  'FST_REQ_FILE_TOO_LARGE',
  'FST_FILES_LIMIT',
  'FST_PARTS_LIMIT',
  'FST_FIELDS_LIMIT',
]);

function errorHandler(
  this: FastifyInstance,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof ServiceError) {
    if (
      error.statusCode === 403 ||
      error.code === 'BAD_SIGNATURE' ||
      error.code === 'TOO_MANY_FORKS' ||
      error.code === 'NOT_REGISTERED'
    )
      request.log.warn(
        { code: error.code, client: request.ip, route: request.routeOptions.url, reason: error.message },
        'refused',
      );
    if (error.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Bearer');
    if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
    return reply.code(error.statusCode).send({ error: error.message, code: error.code });
  }
  if (error instanceof AssessmentError) {
    // A refused workflow step (a validated record written over, a wrong stage) conflicts with the
    // record's state; a stored record whose hashes do not hold is the service's fault, and is logged.
    const status =
      error.code === 'SHUGAI_RECORD_REFUSED' ? 409 : error.code === 'SHUGAI_RECORD_CORRUPT' ? 500 : 400;
    if (status === 500)
      request.log.error({ code: error.code, reason: error.message }, 'assessment record corrupt');
    return reply.code(status).send({ error: error.message, code: error.code });
  }
  if (error.validation) return reply.code(400).send({ error: error.message, code: 'BAD_REQUEST' });
  if (isUniqueViolation(error))
    return reply.code(409).send({
      error: 'a concurrent change to the same object came first; read it again and retry',
      code: 'CONFLICT',
    });
  if (UPLOAD_TOO_LARGE.has(error.code))
    return reply.code(413).send({ error: error.message, code: 'PAYLOAD_TOO_LARGE' });
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply.code(415).send({ error: error.message, code: 'UNSUPPORTED_MEDIA_TYPE' });
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return reply.code(status).send({ error: error.message, code: error.code ?? 'BAD_REQUEST' });
  request.log.error({ err: error.message, route: request.routeOptions.url }, 'request failed');
  return reply.code(500).send({ error: 'internal error; see the service log', code: 'INTERNAL' });
}
