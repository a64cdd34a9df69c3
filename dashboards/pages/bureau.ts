/**
 * The bureau officer's pages, as shells: the application queue and one application's verification
 * panel need the applications, verification, decisions, export and sampling API that is being built
 * beside these pages. Until it lands they say what will be here; nothing is invented in its place.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principal } from '../platform/auth.ts';
import { forbidden } from '../platform/errors.ts';
import { esc, html, layout, pageContext } from './html.ts';

function officerOnly(request: FastifyRequest): void {
  const who = principal(request);
  if (who.role !== 'officer' && who.role !== 'admin') throw forbidden('the bureau pages are for officers');
}

export function bureauPages(app: FastifyInstance): void {
  app.get('/bureau/applications', async (request, reply) => {
    officerOnly(request);
    const ctx = pageContext(request, reply);
    const { t } = ctx;
    const body = `<p class="notice" role="note">${esc(t('bureau.pending'))}</p><ul><li>${esc(t('bureau.queue.list'))}</li></ul>`;
    return html(reply, layout(ctx, t('bureau.queue'), body));
  });
  app.get<{ Params: { id: string } }>('/bureau/applications/:id', async (request, reply) => {
    officerOnly(request);
    const ctx = pageContext(request, reply);
    const { t } = ctx;
    const body = `<p><a href="/bureau/applications">← ${esc(t('bureau.queue'))}</a></p><p class="notice" role="note">${esc(t('bureau.pending'))}</p><ul><li>${esc(t('bureau.panel.list'))}</li></ul>`;
    return html(reply, layout(ctx, `${t('bureau.panel')} · ${request.params.id}`, body));
  });
}
