/**
 * On-site sampling as pages: the officer's draws, a new draw (batch, size, an optional seed), and a
 * draw with its seed, its candidates in key order and those picked, re-runnable with the same seed
 * (the same seed over the same candidates draws the same enterprises; README "On-site sampling").
 */
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../platform/accounts/roles.ts';
import { principal } from '../platform/auth.ts';
import { PlatformError } from '../platform/errors.ts';
import { type DrawView, drawSample, getDraw, listDraws } from '../platform/sampling/draw.ts';
import {
  beijingTime,
  esc,
  type FormBody,
  formField,
  html,
  layout,
  type PageContext,
  pageContext,
  postForm,
  table,
} from './html.ts';
import type { PagesOptions } from './plugin.ts';

interface DrawForm {
  batch: string;
  size: string;
  seed: string;
}

function drawForm(ctx: PageContext, values: DrawForm, submit: string, error = ''): string {
  const { t } = ctx;
  const described = error ? ' aria-describedby="draw-error"' : '';
  return `${error ? `<p class="error" role="alert" id="draw-error">${esc(error)}</p>` : ''}${postForm(
    ctx,
    '/bureau/sampling',
    `<label for="batch">${esc(t('bu.batch'))}</label><input id="batch" name="batch" inputmode="numeric" value="${esc(values.batch)}"${described}>
<label for="size">${esc(t('bu.sampling.size'))}</label><input id="size" name="size" inputmode="numeric" value="${esc(values.size)}"${described}>
<label for="seed">${esc(t('bu.sampling.seed'))}</label><input id="seed" name="seed" value="${esc(values.seed)}"${described}>
<p><button type="submit">${esc(submit)}</button></p>`,
    'class="card narrow"',
  )}`;
}

function drawBody(ctx: PageContext, d: DrawView): string {
  const { t } = ctx;
  const picked = new Set(d.picked.map((p) => p.uscc));
  return `<p><a href="/bureau/sampling">← ${esc(t('bu.sampling'))}</a></p>
<dl class="facts"><dt>${esc(t('bu.sampling.seedShown'))}</dt><dd><code id="seed-shown">${esc(d.seed)}</code></dd>
<dt>${esc(t('bu.batch'))}</dt><dd>${esc(d.batch)}</dd>
<dt>${esc(t('bu.sampling.size'))}</dt><dd>${esc(d.size)}</dd>
<dt>${esc(t('bu.sampling.drawnBy'))}</dt><dd>${esc(d.drawnBy)} · ${esc(beijingTime(d.drawnAt))}</dd></dl>
<h2>${esc(t('bu.sampling.picked'))}</h2>
<ol id="picked">${d.picked
    .map(
      (p) =>
        `<li><a href="/enterprises/${encodeURIComponent(p.enterpriseId)}">${esc(p.name)}</a> <span class="muted">${esc(p.uscc)}</span></li>`,
    )
    .join('')}</ol>
<p class="muted">${esc(t('bu.sampling.how', { n: d.size }))}</p>
${table(
  [esc(t('ent.uscc')), esc(t('ent.name')), esc(t('bu.sampling.key')), esc(t('bu.sampling.picked'))],
  d.candidates.map((c) => [
    esc(c.uscc),
    esc(c.name),
    `<code>${esc(c.key)}</code>`,
    picked.has(c.uscc) ? esc(t('yes')) : '',
  ]),
  esc(t('bu.sampling.candidates')),
)}
<h2>${esc(t('bu.sampling.again'))}</h2>
${drawForm(ctx, { batch: String(d.batch), size: String(d.size), seed: d.seed }, t('bu.sampling.again'))}`;
}

export function samplingPages(app: FastifyInstance, options: PagesOptions): void {
  const { db, now } = options;

  const listPage = async (ctx: PageContext, who: Principal, values: DrawForm, error = '') => {
    const { t } = ctx;
    const draws = await listDraws(db, who);
    const list =
      draws.length === 0
        ? `<p>${esc(t('bu.sampling.none'))}</p>`
        : table(
            [
              esc(t('bu.sampling.seedShown')),
              esc(t('bu.batch')),
              esc(t('bu.sampling.size')),
              esc(t('bu.sampling.drawnBy')),
            ],
            draws.map((d) => [
              `<a href="/bureau/sampling/${encodeURIComponent(d.id)}"><code>${esc(d.seed)}</code></a>`,
              esc(d.batch),
              esc(d.size),
              `${esc(d.drawnBy)} · ${esc(beijingTime(d.drawnAt))}`,
            ]),
          );
    return layout(
      ctx,
      t('bu.sampling'),
      `<h2>${esc(t('bu.sampling.new'))}</h2>${drawForm(ctx, values, t('bu.sampling.draw'), error)}<h2>${esc(t('bu.sampling.list'))}</h2>${list}`,
    );
  };

  app.get('/bureau/sampling', async (request, reply) => {
    const who = principal(request);
    return html(reply, await listPage(pageContext(request, reply), who, { batch: '', size: '', seed: '' }));
  });

  app.get<{ Params: { id: string } }>('/bureau/sampling/:id', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const d = await getDraw(db, principal(request), request.params.id);
    return html(
      reply,
      layout(
        ctx,
        ctx.t('bu.sampling.title', { batch: d.batch, at: beijingTime(d.drawnAt) }),
        drawBody(ctx, d),
      ),
    );
  });

  app.post<{ Body: FormBody }>('/bureau/sampling', async (request, reply) => {
    const who = principal(request);
    const ctx = pageContext(request, reply);
    const form = (request.body ?? {}) as FormBody;
    const values = {
      batch: formField(form, 'batch'),
      size: formField(form, 'size'),
      seed: formField(form, 'seed'),
    };
    const { t } = ctx;
    const refuse = async (message: string) => html(reply, await listPage(ctx, who, values, message), 400);
    if (!/^[1-9]\d?$/.test(values.batch)) return refuse(t('bu.sampling.err.batch'));
    if (!/^[1-9]\d{0,4}$/.test(values.size) || Number(values.size) > 10_000)
      return refuse(t('bu.sampling.err.size'));
    if (values.seed.length > 200) return refuse(t('bu.sampling.err.seed'));
    try {
      const d = await drawSample(
        db,
        who,
        {
          batch: Number(values.batch),
          size: Number(values.size),
          ...(values.seed === '' ? {} : { seed: values.seed }),
        },
        now(),
      );
      return reply.redirect(`/bureau/sampling/${encodeURIComponent(d.id)}`, 303);
    } catch (error) {
      // The draw refuses a batch with fewer enterprises in the region than asked for (or none).
      if (error instanceof PlatformError && error.code === 'BAD_REQUEST')
        return refuse(t('bu.sampling.err.candidates', { batch: values.batch, size: values.size }));
      throw error;
    }
  });
}
