/**
 * JSON request bodies read strictly (core/json.ts) by every bureau service: a key given twice, or a
 * `__proto__` key, is refused with 400 {error, code} like any other malformed body, instead of the
 * last value silently winning. Register it on the root instance, before the routes.
 */
import type { FastifyInstance } from 'fastify';
import { InputError } from '../core/input.ts';
import { parseJsonStrict } from '../core/json.ts';

/** Fastify's code for a body that is not JSON, kept for every refused JSON body: clients match one code. */
export const INVALID_JSON_BODY = 'FST_ERR_CTP_INVALID_JSON_BODY';

export function strictJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonStrict(body as string, 'request body'));
    } catch (error) {
      if (!(error instanceof InputError)) return done(error as Error, undefined);
      return done(
        Object.assign(new Error(error.message), { statusCode: 400, code: INVALID_JSON_BODY }),
        undefined,
      );
    }
  });
}
