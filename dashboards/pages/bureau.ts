/**
 * The bureau officer's pages on the applications API's own functions (the same scope, the same state
 * machine): the application queue of the officer's region with filters, counts and exact sums and the
 * payout export; one application's verification panel (bureau-panel.ts) with the verification
 * computed on request and the 初审/复审 forms; the on-site sampling draws (sampling.ts).
 */
import { Decimal } from 'decimal.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../platform/accounts/roles.ts';
import { getApplication, listApplications } from '../platform/applications/repository.ts';
import {
  APPLICATION_STATES,
  type ApplicationState,
  type ApplicationView,
  OUTCOMES,
} from '../platform/applications/schemas.ts';
import { principal } from '../platform/auth.ts';
import { decide } from '../platform/decisions/decide.ts';
import { forbidden, PlatformError } from '../platform/errors.ts';
import { approvedPayouts } from '../platform/export/payouts.ts';
import { parameterProblems, verifyApplication } from '../platform/verifications/compute.ts';
import {
  type DecisionForm,
  measureName,
  measureParams,
  type ParamsForm,
  panelBody,
  stateName,
  verificationCell,
} from './bureau-panel.ts';
import {
  beijingTime,
  esc,
  type FormBody,
  formField,
  html,
  layout,
  type PageContext,
  pageContext,
  table,
} from './html.ts';
import type { PagesOptions } from './plugin.ts';
import { samplingPages } from './sampling.ts';

export function officerOnly(request: FastifyRequest): Principal {
  const who = principal(request);
  if (who.role !== 'officer' && who.role !== 'admin') throw forbidden('the bureau pages are for officers');
  return who;
}

const sum = (amounts: readonly string[]) =>
  amounts.reduce((total, a) => total.plus(a), new Decimal(0)).toFixed(2);

interface QueueFilter {
  batch?: number;
  measure?: string;
  state?: ApplicationState;
}

function filterOf(query: Record<string, string | undefined>): QueueFilter {
  const filter: QueueFilter = {};
  if (/^[1-9]\d?$/.test(query.batch ?? '')) filter.batch = Number(query.batch);
  if (query.measure) filter.measure = query.measure;
  if (APPLICATION_STATES.includes(query.state as ApplicationState))
    filter.state = query.state as ApplicationState;
  return filter;
}

function select(
  name: string,
  label: string,
  options: readonly [value: string, text: string][],
  chosen: string | undefined,
  all: string,
) {
  const opts = [['', all] as const, ...options]
    .map(
      ([v, text]) =>
        `<option value="${esc(v)}"${v === (chosen ?? '') ? ' selected' : ''}>${esc(text)}</option>`,
    )
    .join('');
  return `<div><label for="f-${name}">${esc(label)}</label><select id="f-${name}" name="${name}">${opts}</select></div>`;
}

async function queueBody(ctx: PageContext, options: PagesOptions, who: Principal, filter: QueueFilter) {
  const { t } = ctx;
  const all = await listApplications(options.db, who);
  const shown = await listApplications(options.db, who, filter);
  const batches = [...new Set(all.flatMap((a) => (a.batch === null ? [] : [a.batch])))].sort((a, b) => a - b);
  const measures = [...new Set(all.map((a) => a.measure))].sort();
  const form = `<form method="get" action="/bureau/applications" class="filters" aria-labelledby="h-filter"><h2 id="h-filter">${esc(t('bu.filter'))}</h2>
${select(
  'batch',
  t('bu.batch'),
  batches.map((b) => [String(b), t('bu.batchN', { n: b })]),
  filter.batch === undefined ? undefined : String(filter.batch),
  t('bu.all'),
)}
${select(
  'measure',
  t('bu.measure'),
  measures.map((m) => [m, measureName(m)]),
  filter.measure,
  t('bu.all'),
)}
${select(
  'state',
  t('bu.state'),
  APPLICATION_STATES.map((s) => [s, stateName(ctx, s)]),
  filter.state,
  t('bu.all'),
)}
<div><button type="submit">${esc(t('bu.apply'))}</button></div></form>`;
  // Approved amounts as the export has them: the verification each 复审 approved, not a later one.
  const approvedIds = new Set(shown.filter((a) => a.state === 'approved').map((a) => a.id));
  const approved: string[] = [];
  for (const batch of new Set(shown.filter((a) => approvedIds.has(a.id)).map((a) => a.batch)))
    if (batch !== null)
      for (const row of await approvedPayouts(options.db, who, batch))
        if (approvedIds.has(row.application)) approved.push(row.amount);
  const verified = shown.flatMap((a) => (a.verification?.eligible ? [a.verification.amount] : []));
  const byState = APPLICATION_STATES.map(
    (s) => `${esc(stateName(ctx, s))} <strong>${shown.filter((a) => a.state === s).length}</strong>`,
  ).join(' · ');
  const summary = `<dl class="facts" id="queue-summary">
<dt>${esc(t('bu.count', { n: shown.length }))}</dt><dd>${byState}</dd>
<dt>${esc(t('bu.sumVerified'))}</dt><dd id="sum-verified">${esc(sum(verified))}</dd>
<dt>${esc(t('bu.sumApproved'))}</dt><dd id="sum-approved">${esc(sum(approved))}</dd>
</dl>`;
  const rows = shown.map((a) => [
    `<a href="/bureau/applications/${encodeURIComponent(a.id)}">${esc(a.id)}</a>`,
    esc(a.enterpriseName),
    esc(measureName(a.measure)),
    a.batch === null ? '—' : esc(a.batch),
    `<span data-state="${esc(a.state)}">${esc(stateName(ctx, a.state))}</span>`,
    verificationCell(ctx, a),
    a.verification ? `<span class="money">${esc(a.verification.amount)}</span>` : '—',
    esc(beijingTime(a.submittedAt)),
  ]);
  const list =
    shown.length === 0
      ? `<p>${esc(t('bu.none'))}</p>`
      : table(
          (
            [
              'bu.id',
              'bu.enterprise',
              'bu.measure',
              'bu.batch',
              'bu.state',
              'bu.verification',
              'bu.amount',
              'bu.submittedAt',
            ] as const
          ).map((k) => esc(t(k))),
          rows,
        );
  const exports =
    batches.length === 0
      ? ''
      : `<section aria-labelledby="h-export"><h2 id="h-export">${esc(t('bu.export'))}</h2><p class="muted">${esc(t('bu.export.note'))}</p><p>${batches
          .map(
            (b) =>
              `<a class="button secondary" download href="/api/v1/payouts?batch=${b}&amp;format=csv">${esc(t('bu.export.csv', { n: b }))}</a> <a class="button secondary" download href="/api/v1/payouts?batch=${b}&amp;format=xlsx">${esc(t('bu.export.xlsx', { n: b }))}</a>`,
          )
          .join(' ')}</p></section>`;
  return `${form}${summary}${list}${exports}`;
}

/** A refusal of the decision workflow said in the officer's language. */
function decisionError(ctx: PageContext, error: PlatformError, application: ApplicationView, step: string) {
  const { t } = ctx;
  switch (error.code) {
    case 'SAME_OFFICER':
    case 'NOT_VERIFIED':
    case 'NOT_PAYABLE':
    case 'VERIFICATION_CHANGED':
      return t(`bu.err.${error.code}`);
    case 'WRONG_STATE':
      return t('bu.err.WRONG_STATE', {
        state: stateName(ctx, application.state),
        step: t(step === 'second' ? 'bu.step.second' : 'bu.step.first'),
      });
    default:
      return null;
  }
}

export function bureauPages(app: FastifyInstance, options: PagesOptions): void {
  const { db, now } = options;

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/bureau/applications',
    async (request, reply) => {
      const who = officerOnly(request);
      const ctx = pageContext(request, reply);
      return html(
        reply,
        layout(ctx, ctx.t('bureau.queue'), await queueBody(ctx, options, who, filterOf(request.query))),
      );
    },
  );

  const panel = async (
    request: FastifyRequest<{ Params: { id: string } }>,
    ctx: PageContext,
    decision?: DecisionForm,
    params?: ParamsForm,
  ) => {
    const who = officerOnly(request);
    const application = await getApplication(db, who, request.params.id);
    const body = await panelBody(ctx, db, who, application, decision, params);
    return layout(ctx, `${ctx.t('bureau.panel')} · ${application.enterpriseName}`, body);
  };

  app.get<{ Params: { id: string } }>('/bureau/applications/:id', async (request, reply) =>
    html(reply, await panel(request, pageContext(request, reply))),
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/bureau/applications/:id/verify',
    async (request, reply) => {
      const who = officerOnly(request);
      const ctx = pageContext(request, reply);
      const application = await getApplication(db, who, request.params.id);
      // The fields of the parameters the measure reads; an empty one is not given.
      const form = (request.body ?? {}) as FormBody;
      const declared = measureParams(application.measure);
      const values: Record<string, string> = {};
      for (const { decl } of declared) {
        const value = formField(form, `param.${decl.name}`);
        if (value !== '') values[decl.name] = value;
      }
      try {
        await verifyApplication(
          db,
          who,
          request.params.id,
          { params: values, ...(options.openStore ? { openStore: options.openStore } : {}) },
          now(),
        );
      } catch (error) {
        if (!(error instanceof PlatformError) || error.code !== 'BAD_PARAMETER') throw error;
        // What to fix, per field in the officer's language; the service's own reason beneath.
        const errors: Record<string, string> = {};
        for (const problem of parameterProblems(application.measure, values)) {
          const decl = declared.find((p) => p.decl.name === problem.name)?.decl;
          if (!decl) continue;
          errors[decl.name] =
            decl.allowed && !decl.allowed.includes(values[decl.name] ?? '')
              ? ctx.t('bu.param.bad.allowed', { meaning: decl.meaning, allowed: decl.allowed.join('、') })
              : ctx.t(`bu.param.bad.${decl.kind}`, { meaning: decl.meaning });
        }
        const params: ParamsForm = { values, errors, reason: error.message };
        return html(reply, await panel(request, ctx, undefined, params), error.statusCode);
      }
      return reply.redirect(
        `/bureau/applications/${encodeURIComponent(request.params.id)}#verification`,
        303,
      );
    },
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/bureau/applications/:id/review',
    async (request, reply) => {
      const who = officerOnly(request);
      const ctx = pageContext(request, reply);
      const form = (request.body ?? {}) as FormBody;
      const step = formField(form, 'step') === 'second' ? 'second' : 'first';
      const outcome = formField(form, 'outcome');
      const reason = formField(form, 'reason');
      const kept: DecisionForm = { step, outcome, reason, error: '' };
      if (!OUTCOMES.includes(outcome as (typeof OUTCOMES)[number]))
        return html(reply, await panel(request, ctx, { ...kept, error: ctx.t('bu.err.outcome') }), 400);
      if (reason === '')
        return html(reply, await panel(request, ctx, { ...kept, error: ctx.t('bu.err.reason') }), 400);
      try {
        await decide(
          db,
          who,
          request.params.id,
          step,
          { outcome: outcome as (typeof OUTCOMES)[number], reason },
          now(),
        );
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        const application = await getApplication(db, who, request.params.id);
        const message = decisionError(ctx, error, application, step);
        if (message === null) throw error;
        return html(reply, await panel(request, ctx, { ...kept, error: message }), error.statusCode);
      }
      return reply.redirect(`/bureau/applications/${encodeURIComponent(request.params.id)}#decisions`, 303);
    },
  );

  samplingPages(app, options);
}
