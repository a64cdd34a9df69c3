/** On-site sampling draws: made by an officer for a batch of its region, with their seed, re-drawable by anyone. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, idParams, json } from '../json-schema.ts';
import { drawSample, getDraw, listDraws } from './draw.ts';

const tags = ['sampling'];
const drawInput = z.strictObject({
  batch: z.number().int().min(1).max(99),
  /** How many enterprises to draw. */
  size: z.number().int().min(1).max(10_000),
  /** The seed (e.g. a public lottery's figures); 32 random hex digits when absent. Recorded either way. */
  seed: z.string().min(1).max(200).optional(),
});
const enterpriseRef = z.strictObject({ uscc: z.string(), name: z.string() });
const drawView = z.strictObject({
  id: z.string(),
  batch: z.number().int(),
  region: z.string(),
  seed: z.string(),
  size: z.number().int(),
  candidates: z.array(enterpriseRef.extend({ key: z.string() })),
  picked: z.array(enterpriseRef.extend({ enterpriseId: z.string() })),
  drawnBy: z.string(),
  drawnAt: z.number().int(),
});

export function samplingRoutes(app: FastifyInstance, db: Db, now: () => number): void {
  app.post<{ Body: z.infer<typeof drawInput> }>(
    '/api/v1/samplings',
    {
      schema: {
        tags,
        summary:
          "draw N enterprises of a batch of the officer's region: HMAC-SHA256(seed, uscc), smallest first",
        body: json(drawInput),
        response: { 201: json(drawView), ...ERRORS },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return drawSample(db, principal(request), request.body, now());
    },
  );
  app.get(
    '/api/v1/samplings',
    {
      schema: {
        tags,
        summary: "the draws of the officer's region",
        response: { 200: json(drawView.array()), ...ERRORS },
      },
    },
    async (request) => listDraws(db, principal(request)),
  );
  app.get<{ Params: { id: string } }>(
    '/api/v1/samplings/:id',
    {
      schema: {
        tags,
        summary: 'one draw',
        params: json(idParams),
        response: { 200: json(drawView), ...ERRORS },
      },
    },
    async (request) => getDraw(db, principal(request), request.params.id),
  );
}
