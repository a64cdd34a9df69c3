/** Verifications of an application: computed by an officer of its region, read by anyone who sees it. */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, idParams, json } from '../json-schema.ts';
import { getVerification, type VerifyOptions, verifyApplication } from './compute.ts';
import { verification, verifyInput } from './schemas.ts';

const tags = ['applications'];
type Id = { Params: { id: string } };

export function verificationRoutes(
  app: FastifyInstance,
  db: Db,
  now: () => number,
  openStore?: VerifyOptions['openStore'],
): void {
  app.post<Id & { Body: z.infer<typeof verifyInput> }>(
    '/api/v1/applications/:id/verifications',
    {
      schema: {
        tags,
        summary:
          "compute and store the application's verification: levels, data integrity per gateway against the service's copy, machine evidence, payout (officer)",
        params: json(idParams),
        body: json(verifyInput),
        response: { 201: json(verification), ...ERRORS },
      },
    },
    async (request, reply) => {
      const result = await verifyApplication(
        db,
        principal(request),
        request.params.id,
        {
          ...(request.body.params ? { params: request.body.params } : {}),
          ...(openStore ? { openStore } : {}),
        },
        now(),
      );
      reply.code(201);
      return result;
    },
  );
  app.get<Id>(
    '/api/v1/verifications/:id',
    {
      schema: {
        tags,
        summary: 'a stored verification, whole (its 计算说明 in payout.explanation)',
        params: json(idParams),
        response: { 200: json(verification), ...ERRORS },
      },
    },
    async (request) => getVerification(db, principal(request), request.params.id),
  );
}
