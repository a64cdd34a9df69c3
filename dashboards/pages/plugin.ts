/**
 * The pages of `shugai serve`, as one Fastify plugin: server-rendered HTML on the platform's own
 * repositories (the same scope and the same workflow as the API), the session cookie of the API's
 * login, and changes posted as forms carrying the session's CSRF token. Script only enhances
 * (charts, live refresh, the JSON login); the assets come from this folder and from the echarts
 * package, never from a CDN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AssessmentError } from '../../assessment/errors.ts';
import { ServiceError } from '../central/errors.ts';
import { logout, SESSION_COOKIE } from '../platform/accounts/sessions.ts';
import { authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db/connect.ts';
import { listEnterprises } from '../platform/enterprises/repository.ts';
import type { VerifyOptions } from '../platform/verifications/compute.ts';
import { assessmentPages } from './assessment.ts';
import { bureauPages } from './bureau.ts';
import { enterprisePages } from './enterprise.ts';
import { anonymous, esc, html, layout, pageContext } from './html.ts';
import { languageOf } from './i18n.ts';
import { plantPages } from './plant.ts';
import type { PlantSource } from './plant-data.ts';

export interface PagesOptions {
  db: Db;
  now: () => number;
  /** The largest file an upload may carry (the platform's multipart limit), to say so when refused. */
  maxUploadBytes: number;
  /** The stores gateways write, for the plant pages (by gateway id). */
  plants?: readonly PlantSource[];
  /** Opens a gateway's store for a verification (as the API's verification route). */
  openStore?: VerifyOptions['openStore'];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page anyone may open (the login page, the assets). */
    publicPage?: boolean;
  }
}

const HERE = import.meta.dirname;
const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  'pages.css': { file: path.join(HERE, 'assets', 'pages.css'), type: 'text/css; charset=utf-8' },
  'pages.js': { file: path.join(HERE, 'assets', 'pages.js'), type: 'text/javascript; charset=utf-8' },
  'echarts.min.js': {
    file: require.resolve('echarts/dist/echarts.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

export async function pagesPlugin(app: FastifyInstance, options: PagesOptions): Promise<void> {
  const { db, now } = options;
  const signedIn = authenticate(db, now);
  // Pages are not the API: none of them is in the OpenAPI document.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.config.publicPage) return;
    try {
      await signedIn(request);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'UNAUTHORIZED' && request.method === 'GET') {
        const back = encodeURIComponent(request.url);
        return reply.redirect(`/login?next=${back}`, 303);
      }
      throw error;
    }
  });
  app.setErrorHandler(pageError);

  app.get<{ Params: { name: string } }>(
    '/pages/assets/:name',
    { config: { publicPage: true }, schema: { hide: true } },
    async (request, reply) => {
      const asset = ASSETS[request.params.name];
      if (!asset) return reply.code(404).type('text/plain').send('no such asset');
      return reply
        .type(asset.type)
        .header('cache-control', 'public, max-age=3600')
        .send(readFileSync(asset.file));
    },
  );

  app.get('/login', { config: { publicPage: true }, schema: { hide: true } }, async (request, reply) => {
    const ctx = pageContext(request, reply);
    const { t } = ctx;
    const next = (request.query as { next?: unknown }).next;
    // Only a path of this site: never an address elsewhere.
    const target = typeof next === 'string' && /^\/(?!\/)/.test(next) ? next : '/';
    const body = `<form id="login" class="card narrow" method="post" action="/api/v1/session" data-next="${esc(target)}" novalidate>
<noscript><p class="error">${esc(t('login.noscript'))}</p></noscript>
<p id="login-error" class="error" role="alert" hidden data-failed="${esc(t('login.failed'))}" data-limited="${esc(t('login.limited'))}" data-missing="${esc(t('login.missing'))}"></p>
<label for="name">${esc(t('login.name'))}</label><input id="name" name="name" autocomplete="username" required>
<label for="password">${esc(t('login.password'))}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">${esc(t('login.submit'))}</button>
</form>`;
    return html(reply, layout(ctx, t('login.title'), body));
  });

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) await logout(db, cookie);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const ctx = pageContext(request, reply);
    const { t, principal } = ctx;
    if (principal?.role === 'enterprise' && principal.enterpriseId)
      return reply.redirect(`/enterprises/${encodeURIComponent(principal.enterpriseId)}`, 303);
    const enterprises = principal ? await listEnterprises(db, principal) : [];
    const list =
      enterprises.length === 0
        ? `<p>${esc(t('home.none'))}</p>`
        : `<ul class="cards">${enterprises
            .map(
              (e) =>
                `<li><a href="/enterprises/${encodeURIComponent(e.id)}">${esc(e.name)}</a><span class="muted">${esc(e.uscc)} · ${esc(e.region)}</span></li>`,
            )
            .join('')}</ul>`;
    return html(reply, layout(ctx, t('home.title'), list));
  });

  enterprisePages(app, options);
  assessmentPages(app, options);
  plantPages(app, options);
  bureauPages(app, options);
}

/** Errors as pages: what happened in the reader's language, with the right status. */
function pageError(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const lang = languageOf(request, reply);
  const ctx = { ...anonymous(lang, request.url), principal: request.principal, csrf: request.csrf };
  const { t } = ctx;
  let status = 500;
  let message = t('error.500');
  if (error instanceof ServiceError) {
    status = error.statusCode;
    message =
      error.code === 'CSRF'
        ? t('error.csrf')
        : status === 404
          ? t('error.404')
          : status === 403
            ? t('error.403')
            : status === 409
              ? t('error.409')
              : t('error.400', { reason: error.message });
  } else if (error instanceof AssessmentError) {
    status = error.code === 'SHUGAI_RECORD_REFUSED' ? 409 : 400;
    message = status === 409 ? t('error.409') : t('error.400', { reason: error.message });
  } else if (error.statusCode !== undefined && error.statusCode < 500) {
    status = error.statusCode;
    message = t('error.400', { reason: error.message });
  } else {
    request.log.error({ err: error.message, route: request.routeOptions.url }, 'page failed');
  }
  const body = `<p class="error" role="alert">${esc(message)}</p><p><a href="/">${esc(t('error.back'))}</a></p>`;
  return html(reply, layout(ctx, `${t('error.title')} (${status})`, body), status);
}
