/** 初审 and 复审 of an application, by two different officers of its region. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { applicationView, type DecisionInput, decisionInput } from '../applications/schemas.ts';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, json } from '../json-schema.ts';
import { decide } from './decide.ts';

const params = z.strictObject({
  id: z.string().min(1).max(64),
  step: z.enum(['first-review', 'second-review']),
});

export function decisionRoutes(app: FastifyInstance, db: Db, now: () => number): void {
  app.post<{ Params: z.infer<typeof params>; Body: DecisionInput }>(
    '/api/v1/applications/:id/:step',
    {
      schema: {
        tags: ['applications'],
        summary:
          '初审 (first-review) or 复审 (second-review): approve, reject or return, with a reason (officer)',
        params: json(params),
        body: json(decisionInput),
        response: { 200: json(applicationView), ...ERRORS },
      },
    },
    async (request) =>
      decide(
        db,
        principal(request),
        request.params.id,
        request.params.step === 'first-review' ? 'first' : 'second',
        request.body,
        now(),
      ),
  );
}
