/**
 * The page frame and small HTML helpers. Every value put into HTML goes through `esc`; chart options
 * (ECharts, built on the server as data) travel as JSON in a `data-chart` attribute, with the same
 * numbers in a table beside the chart for screen readers and for a browser without script.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../platform/accounts/roles.ts';
import { type Lang, languageOf, type MessageKey, type T, translator } from './i18n.ts';

export interface PageContext {
  lang: Lang;
  t: T;
  principal: Principal | null;
  csrf: string | null;
  /** The request's path and query without `lang`, for the language switch. */
  url: string;
}

export const esc = (value: string | number): string =>
  String(value).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const BEIJING_MS = 8 * 3_600_000;

/** Beijing time (UTC+8 all year) as `YYYY-MM-DD HH:MM:SS`. */
export function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** A figure 0–1 as a percentage with one decimal, e.g. 0.8534 → "85.3%". */
export const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** A chart: a figure holding the ECharts options as data, drawn by pages.js. */
export function chart(id: string, label: string, options: object, height = 320): string {
  return `<figure class="chart-box"><div class="chart" id="${esc(id)}" role="img" aria-label="${esc(label)}" style="height:${height}px" data-chart="${esc(JSON.stringify(options))}"></div><figcaption>${esc(label)}</figcaption></figure>`;
}

export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  caption?: string,
): string {
  const head = headers.map((h) => `<th scope="col">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  // Focusable: a table wider than a phone scrolls in its box, and the keyboard must reach it to scroll it.
  return `<div class="table-wrap" tabindex="0"><table>${caption ? `<caption>${caption}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** A url-encoded form body as the platform's form parser gives it: a repeated field is an array. */
export type FormBody = Record<string, string | string[] | undefined>;

/** Every value of a form field, in order. */
export const formValues = (form: FormBody, name: string): string[] => {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** A form field's first value, trimmed ('' when absent). */
export const formField = (form: FormBody, name: string): string => formValues(form, name)[0]?.trim() ?? '';

/** A form post with the session's CSRF token (the platform's `_csrf` form field). */
export function postForm(ctx: PageContext, action: string, inner: string, attrs = ''): string {
  return `<form method="post" action="${esc(action)}" ${attrs}><input type="hidden" name="_csrf" value="${esc(ctx.csrf ?? '')}">${inner}</form>`;
}

function switchUrl(ctx: PageContext): string {
  const lang = ctx.lang === 'en' ? 'zh-CN' : 'en';
  return `${ctx.url}${ctx.url.includes('?') ? '&' : '?'}lang=${lang}`;
}

export function layout(
  ctx: PageContext,
  title: string,
  body: string,
  options: { charts?: boolean; live?: boolean } = {},
): string {
  const { t, principal } = ctx;
  const nav = principal
    ? `<nav aria-label="${esc(t('nav.home'))}"><a href="/">${esc(t('nav.home'))}</a>${
        principal.role === 'officer' || principal.role === 'admin'
          ? `<a href="/bureau/applications">${esc(t('nav.queue'))}</a>`
          : ''
      }${
        principal.role === 'officer' ? `<a href="/bureau/sampling">${esc(t('nav.sampling'))}</a>` : ''
      }<span class="who">${esc(principal.name)} · ${esc(t(`role.${principal.role}` as MessageKey))}</span>${postForm(
        ctx,
        '/logout',
        `<button type="submit" class="link">${esc(t('nav.logout'))}</button>`,
        'class="inline"',
      )}</nav>`
    : '';
  const scripts = [
    options.charts ? '<script src="/pages/assets/echarts.min.js" defer></script>' : '',
    '<script src="/pages/assets/pages.js" defer></script>',
  ].join('');
  return `<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(t('app.title'))}</title>
<link rel="stylesheet" href="/pages/assets/pages.css">
${scripts}
</head>
<body${options.live ? ' data-live="1"' : ''}>
<a class="skip" href="#main">${esc(t('nav.skip'))}</a>
<header><a class="brand" href="/">${esc(t('app.title'))}</a>${nav}<a class="lang" href="${esc(switchUrl(ctx))}" lang="${ctx.lang === 'en' ? 'zh-CN' : 'en'}">${esc(t('nav.lang'))}</a></header>
<main id="main">
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>`;
}

/** A context for pages rendered before anyone is known (login, errors of the session). */
export function anonymous(lang: Lang, url: string): PageContext {
  return { lang, t: translator(lang), principal: null, csrf: null, url };
}

/** The page context of a request (after the hook has run). */
export function pageContext(request: FastifyRequest, reply: FastifyReply): PageContext {
  const lang = languageOf(request, reply);
  const url = request.url.replace(/([?&])lang=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return { lang, t: translator(lang), principal: request.principal, csrf: request.csrf, url };
}

export function html(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}
