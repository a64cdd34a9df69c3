/**
 * The central attestation service's routes, as a plugin of the platform (`shugai serve`). Gateways
 * post their signed attestations; the bureau reads a gateway's key, its attestations over a window and
 * a summary of its chain. Writes are authenticated by the signatures themselves (only registered keys
 * are accepted, unregistered senders are refused before anything is stored); reads need a bearer
 * token, checked by the platform (`readAccess`).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type Attestation, signatureValid } from '../../gateway/attest/attestation.ts';
import { CENTRAL_MAX_BODY_BYTES, CENTRAL_MAX_ITEMS } from '../../gateway/sinks/central/schema.ts';
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

export interface CentralRoutesOptions {
  store: CentralStore;
  /** Throws (401, 403, 404) unless the request may read this gateway's copy. */
  readAccess(
    request: FastifyRequest,
    gateway: RegisteredGateway | undefined,
    id: string,
  ): Promise<RegisteredGateway>;
  /** 0 when this client address may write now, else the seconds to wait. */
  writeAllowance(address: string): Promise<number>;
  /** Most items in one POST (default CENTRAL_MAX_ITEMS). */
  maxItems?: number;
  /** Largest POST body in bytes (default CENTRAL_MAX_BODY_BYTES). */
  bodyLimit?: number;
}

/** The routes: the write endpoint and the token-guarded reads. */
export const centralRoutes: FastifyPluginAsync<CentralRoutesOptions> = async (app, options) => {
  const { store } = options;
  const maxItems = options.maxItems ?? CENTRAL_MAX_ITEMS;

  app.post<{ Body: { items: { stamp: number; attestation: Attestation }[] } }>(
    '/api/v1/attestations',
    {
      bodyLimit: options.bodyLimit ?? CENTRAL_MAX_BODY_BYTES,
      schema: {
        tags: ['central'],
        summary: "a gateway's signed attestations (no token: the signatures authenticate)",
        body: ingestBodySchema(maxItems),
        response: { 200: ingestResultSchema, '4xx': errorSchema },
      },
      onRequest: async (request) => {
        const wait = await options.writeAllowance(request.ip);
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
        const gateway = await store.gateway(id);
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
      const result = await store.ingest(verified);
      for (const fork of result.forked)
        request.log.warn(fork, 'a second attestation with the same seq: the chain forks; both are kept');
      return { accepted: result.accepted, duplicates: result.duplicates, forks: result.forks };
    },
  );

  const readable = async (request: FastifyRequest<{ Params: { id: string } }>) =>
    options.readAccess(request, await store.gateway(request.params.id), request.params.id);

  app.get<{ Params: { id: string } }>(
    '/api/v1/gateways/:id/key',
    {
      schema: {
        tags: ['central'],
        summary: "the gateway's registered public key, PEM",
        params: gatewayParamsSchema,
        response: { 200: { type: 'string' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const gateway = await readable(request);
      reply.type('text/plain; charset=utf-8');
      return gateway.publicKeyPem;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from: string; to: string } }>(
    '/api/v1/gateways/:id/attestations',
    {
      schema: {
        tags: ['central'],
        summary: 'the attestations whose stamp is in [from, to), NDJSON, streamed',
        params: gatewayParamsSchema,
        querystring: attestationsQuerySchema,
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const from = Number(request.query.from);
      const to = Number(request.query.to);
      if (to <= from) throw new CentralError('BAD_REQUEST', `to (${to}) must be after from (${from})`);
      const gateway = await readable(request);
      reply.type('application/x-ndjson; charset=utf-8');
      return reply.send(Readable.from(store.ndjson(gateway.id, from, to)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/gateways/:id/chain',
    {
      schema: {
        tags: ['central'],
        summary: "a summary of the gateway's chain: gaps and forks",
        params: gatewayParamsSchema,
        response: { 200: chainSchema, '4xx': errorSchema },
      },
    },
    async (request) => store.chain(await readable(request)),
  );
};
