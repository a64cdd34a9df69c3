/** Applications under a policy measure: submit, list, read, submit again after a return. */
import type { FastifyInstance } from 'fastify';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, idParams, json } from '../json-schema.ts';
import { enterpriseInScope } from '../scope.ts';
import { getApplication, listApplications, resubmitApplication, submitApplication } from './repository.ts';
import {
  type ApplicationInput,
  type ApplicationState,
  applicationInput,
  applicationQuery,
  applicationView,
} from './schemas.ts';

const tags = ['applications'];
const params = json(idParams);
type Id = { Params: { id: string } };

export function applicationRoutes(app: FastifyInstance, db: Db, now: () => number): void {
  app.post<Id & { Body: ApplicationInput }>(
    '/api/v1/enterprises/:id/applications',
    {
      schema: {
        tags,
        summary: 'apply under a policy measure (the enterprise, or its service provider)',
        params,
        body: json(applicationInput),
        response: { 201: json(applicationView), ...ERRORS },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return submitApplication(db, principal(request), request.params.id, request.body, now());
    },
  );
  app.get<Id>(
    '/api/v1/enterprises/:id/applications',
    {
      schema: {
        tags,
        summary: "the enterprise's applications",
        params,
        response: { 200: json(applicationView.array()), ...ERRORS },
      },
    },
    async (request) => {
      const who = principal(request);
      // Answers NOT_FOUND for an enterprise out of scope, as the rest of the file does.
      await enterpriseInScope(db, who, request.params.id);
      return listApplications(db, who, { enterpriseId: request.params.id });
    },
  );
  app.get<{ Querystring: { state?: ApplicationState; batch?: string } }>(
    '/api/v1/applications',
    {
      schema: {
        tags,
        summary: 'the applications in scope, by state and batch',
        querystring: json(applicationQuery),
        response: { 200: json(applicationView.array()), ...ERRORS },
      },
    },
    async (request) =>
      listApplications(db, principal(request), {
        ...(request.query.state === undefined ? {} : { state: request.query.state }),
        ...(request.query.batch === undefined ? {} : { batch: Number(request.query.batch) }),
      }),
  );
  app.get<Id>(
    '/api/v1/applications/:id',
    {
      schema: {
        tags,
        summary: 'one application, its latest verification and its decisions',
        params,
        response: { 200: json(applicationView), ...ERRORS },
      },
    },
    async (request) => getApplication(db, principal(request), request.params.id),
  );
  app.post<Id & { Body: ApplicationInput }>(
    '/api/v1/applications/:id/resubmit',
    {
      schema: {
        tags,
        summary: 'submit a returned application again, corrected (the enterprise, or its service provider)',
        params,
        body: json(applicationInput),
        response: { 200: json(applicationView), ...ERRORS },
      },
    },
    async (request) => resubmitApplication(db, principal(request), request.params.id, request.body, now()),
  );
}
