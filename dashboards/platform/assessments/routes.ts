/** Assessment records on the platform: self-assessment, on-site assessment, validation, attachments. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principal } from '../auth.ts';
import type { Db } from '../db/connect.ts';
import { PlatformError } from '../errors.ts';
import { ERRORS, idParams, json } from '../json-schema.ts';
import {
  attachToAssessment,
  getAssessment,
  getAttachment,
  listAssessments,
  recordAssessment,
  validateAssessment,
} from './repository.ts';
import { recordSummary as summary } from './schemas.ts';

const tags = ['assessments'];
/** A whole record (its report is assessment/report.ts's shape). */
const record = json(z.record(z.string(), z.unknown()));
const recordInput = z.strictObject({
  /** The assessment to continue; a new one when absent. */
  assessment: z.string().min(1).max(64).optional(),
  stage: z.enum(['self', 'onsite']),
  /** The answers, as in an answers file (assessment/README.md). */
  answers: z.record(z.string(), z.unknown()),
});
const versionQuery = z.strictObject({
  version: z
    .string()
    .regex(/^[1-9]\d{0,5}$/)
    .optional(),
});
const attachmentParams = z.strictObject({
  id: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export function assessmentRoutes(app: FastifyInstance, db: Db, now: () => number): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/enterprises/:id/assessments',
    {
      schema: {
        tags,
        summary: "every version of the enterprise's assessments",
        params: json(idParams),
        response: { 200: json(summary.array()), ...ERRORS },
      },
    },
    async (request) => listAssessments(db, principal(request), request.params.id),
  );
  app.post<{ Params: { id: string }; Body: z.infer<typeof recordInput> }>(
    '/api/v1/enterprises/:id/assessments',
    {
      schema: {
        tags,
        summary: 'record a self-assessment (enterprise) or the on-site assessment (assigned assessor)',
        params: json(idParams),
        body: json(recordInput),
        response: { 200: record, ...ERRORS },
      },
    },
    async (request) => recordAssessment(db, principal(request), request.params.id, request.body, now()),
  );
  app.get<{ Params: { id: string }; Querystring: { version?: string } }>(
    '/api/v1/assessments/:id',
    {
      schema: {
        tags,
        summary: 'a version of an assessment (the latest by default)',
        params: json(idParams),
        querystring: json(versionQuery),
        response: { 200: record, ...ERRORS },
      },
    },
    async (request) =>
      getAssessment(
        db,
        principal(request),
        request.params.id,
        request.query.version === undefined ? undefined : Number(request.query.version),
      ),
  );
  app.post<{ Params: { id: string } }>(
    '/api/v1/assessments/:id/validate',
    {
      schema: {
        tags,
        summary: 'validate the on-site assessment: the official level, the record frozen (assessor)',
        params: json(idParams),
        response: { 200: record, ...ERRORS },
      },
    },
    async (request) => validateAssessment(db, principal(request), request.params.id, now()),
  );
  app.post<{ Params: { id: string } }>(
    '/api/v1/assessments/:id/attachments',
    {
      schema: {
        tags,
        summary:
          'attach a file to an item (multipart: file, item, description, effectiveDate); PDF, PNG, JPEG, XLSX, DOCX, CSV or text',
        params: json(idParams),
        response: { 200: record, ...ERRORS },
      },
    },
    async (request) => {
      if (!request.isMultipart())
        throw new PlatformError('UNSUPPORTED_MEDIA_TYPE', 'send the attachment as multipart/form-data');
      const file = await request.file();
      if (!file) throw new PlatformError('BAD_REQUEST', 'no file part in the form');
      const content = await file.toBuffer();
      const field = (name: string): string => {
        const part = file.fields[name];
        const value = part && !Array.isArray(part) && part.type === 'field' ? part.value : undefined;
        if (typeof value !== 'string' || value === '')
          throw new PlatformError('BAD_REQUEST', `the form field ${name} is required (before the file part)`);
        return value;
      };
      return attachToAssessment(
        db,
        principal(request),
        request.params.id,
        {
          item: field('item'),
          description: field('description'),
          effectiveDate: field('effectiveDate'),
          fileName: file.filename,
          mediaType: file.mimetype,
          content,
        },
        now(),
      );
    },
  );
  app.get<{ Params: { id: string; sha256: string } }>(
    '/api/v1/assessments/:id/attachments/:sha256',
    {
      schema: {
        tags,
        summary: 'the content of an attachment',
        params: json(attachmentParams),
        response: ERRORS,
      },
    },
    async (request, reply) => {
      const found = await getAttachment(db, principal(request), request.params.id, request.params.sha256);
      reply
        .type(found.mediaType)
        .header('content-disposition', 'attachment')
        .header('x-content-type-options', 'nosniff');
      return found.content;
    },
  );
}
