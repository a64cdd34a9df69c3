/** The approved payouts of a batch: JSON for the pages, CSV and XLSX for the finance office. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { moneyString } from '../../../policies/schema.ts';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { ERRORS, json } from '../json-schema.ts';
import { approvedPayouts, payoutsCsv, payoutsXlsx, totals } from './payouts.ts';

const query = z.strictObject({
  batch: z.string().regex(/^[1-9]\d?$/),
  format: z.enum(['json', 'csv', 'xlsx']).optional(),
});
const maybeMoney = moneyString.nullable();
const split = z.strictObject({
  central: maybeMoney,
  province: maybeMoney,
  city: maybeMoney,
  district: maybeMoney,
});
const payoutRow = z.strictObject({
  application: z.string(),
  enterprise: z.string(),
  uscc: z.string(),
  region: z.string(),
  batch: z.number().int(),
  measure: z.string(),
  document: z.string(),
  article: z.string(),
  amount: moneyString,
  split,
  unsplit: maybeMoney,
  firstReview: z.string(),
  secondReview: z.string(),
  approvedOn: z.string(),
});
const payoutsJson = z.strictObject({
  batch: z.number().int(),
  rows: payoutRow.array(),
  totals: z.strictObject({ amount: moneyString, split, unsplit: maybeMoney }),
});

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function exportRoutes(app: FastifyInstance, db: Db): void {
  app.get<{ Querystring: z.infer<typeof query> }>(
    '/api/v1/payouts',
    {
      schema: {
        tags: ['payouts'],
        summary:
          "approved payouts of a batch in the officer's region, with the split per funding level (format json, csv or xlsx)",
        querystring: json(query),
        response: { 200: json(payoutsJson), ...ERRORS },
      },
    },
    async (request, reply) => {
      const batch = Number(request.query.batch);
      const rows = await approvedPayouts(db, principal(request), batch);
      const format = request.query.format ?? 'json';
      if (format === 'json') return { batch, rows, totals: totals(rows) };
      // A file: the JSON response schema does not apply; sent as it is.
      reply.header('content-disposition', `attachment; filename="payouts-batch-${batch}.${format}"`);
      reply.serializer((body: unknown) => body as string);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(payoutsCsv(rows));
      return reply.type(XLSX_TYPE).send(await payoutsXlsx(rows, batch));
    },
  );
}
