/**
 * The enterprise file's routes: enterprises, their equipment register, gateways, renovation and
 * assessors. Handlers only parse (by schema), call a repository with the principal, and reply.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, idParams, json } from '../json-schema.ts';
import { assignAssessor, listAssessors } from './assessors.ts';
import { enterpriseFile, getEnterpriseFile } from './file.ts';
import { listGateways, registerGateway, setGatewayStore } from './gateways.ts';
import { getRegister, replaceRegister } from './register.ts';
import { getRenovation, putRenovation } from './renovation.ts';
import { createEnterprise, getEnterprise, listEnterprises, updateEnterprise } from './repository.ts';
import {
  assessorInput,
  type EnterpriseInput,
  enterpriseInput,
  enterpriseView,
  type GatewayStoreInput,
  gatewayInput,
  gatewayStoreInput,
  gatewayView,
  type RegisterEntry,
  type RenovationInput,
  registerBody,
  registerEntry,
  renovationInput,
  renovationView,
} from './schemas.ts';

type Id = { Params: { id: string } };
const tags = ['enterprises'];
const params = json(idParams);

export function enterpriseRoutes(app: FastifyInstance, db: Db, now: () => number): void {
  app.get(
    '/api/v1/enterprises',
    {
      schema: {
        tags,
        summary: 'the enterprises in scope',
        response: { 200: json(enterpriseView.array()), ...ERRORS },
      },
    },
    async (request) => listEnterprises(db, principal(request)),
  );
  app.post<{ Body: EnterpriseInput }>(
    '/api/v1/enterprises',
    {
      schema: {
        tags,
        summary: 'file an enterprise (officer of its region, admin)',
        body: json(enterpriseInput),
        response: { 200: json(enterpriseView), ...ERRORS },
      },
    },
    async (request) => createEnterprise(db, principal(request), request.body, now()),
  );
  app.get<Id>(
    '/api/v1/enterprises/:id',
    {
      schema: { tags, summary: 'one enterprise', params, response: { 200: json(enterpriseView), ...ERRORS } },
    },
    async (request) => getEnterprise(db, principal(request), request.params.id),
  );
  app.put<Id & { Body: EnterpriseInput }>(
    '/api/v1/enterprises/:id',
    {
      schema: {
        tags,
        summary: "change an enterprise's facts (officer, admin)",
        params,
        body: json(enterpriseInput),
        response: { 200: json(enterpriseView), ...ERRORS },
      },
    },
    async (request) => updateEnterprise(db, principal(request), request.params.id, request.body, now()),
  );

  app.get<Id>(
    '/api/v1/enterprises/:id/file',
    {
      schema: {
        tags,
        summary:
          'the enterprise file (一企一档): facts, register, gateways, renovation, assessors, assessments',
        params,
        response: { 200: json(enterpriseFile), ...ERRORS },
      },
    },
    async (request) => getEnterpriseFile(db, principal(request), request.params.id),
  );

  const entries = json(z.strictObject({ entries: registerEntry.array() }));
  app.get<Id>(
    '/api/v1/enterprises/:id/register',
    {
      schema: {
        tags,
        summary: 'the production-equipment register (设备台账)',
        params,
        response: { 200: entries, ...ERRORS },
      },
    },
    async (request) => ({ entries: await getRegister(db, principal(request), request.params.id) }),
  );
  app.put<Id & { Body: { entries: RegisterEntry[] } }>(
    '/api/v1/enterprises/:id/register',
    {
      schema: {
        tags,
        summary: 'replace the register (enterprise, provider, officer)',
        params,
        body: json(registerBody),
        response: { 200: entries, ...ERRORS },
      },
    },
    async (request) => ({
      entries: await replaceRegister(db, principal(request), request.params.id, request.body.entries, now()),
    }),
  );

  app.get<Id>(
    '/api/v1/enterprises/:id/gateways',
    {
      schema: {
        tags,
        summary: "the enterprise's registered gateways",
        params,
        response: { 200: json(gatewayView.array()), ...ERRORS },
      },
    },
    async (request) => listGateways(db, principal(request), request.params.id),
  );
  app.post<Id & { Body: { id: string; publicKey: string } }>(
    '/api/v1/enterprises/:id/gateways',
    {
      schema: {
        tags,
        summary:
          "register a gateway's Ed25519 key (provider, officer, admin); the same key again changes nothing",
        params,
        body: json(gatewayInput),
        response: { 200: json(gatewayView), 201: json(gatewayView), ...ERRORS },
      },
    },
    async (request, reply) => {
      const { gateway, created } = await registerGateway(
        db,
        principal(request),
        request.params.id,
        request.body,
        now(),
      );
      reply.code(created ? 201 : 200);
      return gateway;
    },
  );

  app.put<{ Params: { id: string; gateway: string }; Body: GatewayStoreInput }>(
    '/api/v1/enterprises/:id/gateways/:gateway/store',
    {
      schema: {
        tags,
        summary: 'record where a gateway stores its data, and its config (provider, officer, admin)',
        params: json(z.strictObject({ id: z.string().min(1).max(64), gateway: z.string().min(1).max(64) })),
        body: json(gatewayStoreInput),
        response: { 200: json(gatewayView), ...ERRORS },
      },
    },
    async (request) =>
      setGatewayStore(db, principal(request), request.params.id, request.params.gateway, request.body, now()),
  );

  app.get<Id>(
    '/api/v1/enterprises/:id/renovation',
    {
      schema: {
        tags,
        summary: 'the renovation: contract, provider, investment items',
        params,
        response: { 200: json(renovationView), ...ERRORS },
      },
    },
    async (request) => getRenovation(db, principal(request), request.params.id),
  );
  app.put<Id & { Body: RenovationInput }>(
    '/api/v1/enterprises/:id/renovation',
    {
      schema: {
        tags,
        summary: 'file the renovation (provider, officer, admin)',
        params,
        body: json(renovationInput),
        response: { 200: json(renovationView), ...ERRORS },
      },
    },
    async (request) => putRenovation(db, principal(request), request.params.id, request.body, now()),
  );

  const assessors = json(z.strictObject({ assessors: z.array(z.string()) }));
  app.get<Id>(
    '/api/v1/enterprises/:id/assessors',
    { schema: { tags, summary: 'the assessors assigned', params, response: { 200: assessors, ...ERRORS } } },
    async (request) => ({ assessors: await listAssessors(db, principal(request), request.params.id) }),
  );
  app.post<Id & { Body: { assessor: string } }>(
    '/api/v1/enterprises/:id/assessors',
    {
      schema: {
        tags,
        summary: 'assign an assessor (officer, admin)',
        params,
        body: json(assessorInput),
        response: { 200: assessors, ...ERRORS },
      },
    },
    async (request) => ({
      assessors: await assignAssessor(
        db,
        principal(request),
        request.params.id,
        request.body.assessor,
        now(),
      ),
    }),
  );
}
