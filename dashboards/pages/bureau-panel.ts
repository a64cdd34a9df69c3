/**
 * One application's verification panel: the application, the levels before → after with what the
 * level rule counts, the integrity of each gateway's data (findings, flags and guarantees in Chinese,
 * times in Beijing time, coverage per device), the machine evidence beside the answers with the
 * contradictions marked, the payout with each step of its 计算说明 and the document it cites, and the
 * 初审/复审 with their forms. Read from the stored verification: the panel shows what was decided on.
 */
import { Decimal } from 'decimal.js';
import type { Integrity, LinkFigure, RateFigure } from '../../assessment/evidence/measure.ts';
import type { AssessmentRecord } from '../../assessment/records/workflow.ts';
import { FINDING_ZH, GUARANTEE_ZH, PLAUSIBILITY_ZH, spanZh } from '../../assessment/report.ts';
import type { FindingKind } from '../../gateway/attest/findings.ts';
import { documentName } from '../../policies/engine/params.ts';
import type { Citation, Trace } from '../../policies/engine/trace.ts';
import type { Principal } from '../platform/accounts/roles.ts';
import { currentRound, policyBook } from '../platform/applications/repository.ts';
import type { ApplicationState, ApplicationView } from '../platform/applications/schemas.ts';
import { getAssessment } from '../platform/assessments/repository.ts';
import type { Db } from '../platform/db/connect.ts';
import { getVerification } from '../platform/verifications/compute.ts';
import type { Verification } from '../platform/verifications/schemas.ts';
import { levelText } from './enterprise.ts';
import { flagText, linkLine, measuredRate, verdictMark } from './evidence.ts';
import { beijingTime, esc, type PageContext, postForm, table } from './html.ts';
import type { MessageKey } from './i18n.ts';

export const stateName = (ctx: PageContext, state: ApplicationState) => ctx.t(`state.${state}` as MessageKey);

/** A measure as the documents name it: its title, document and article. */
export function measureName(id: string): string {
  const m = policyBook()
    .list()
    .find((x) => x.id === id);
  return m ? `${m.title}（${m.document} ${m.article}）` : id;
}

/** A decision form posted back with its refusal, so the officer sees what was typed and why not. */
export interface DecisionForm {
  step: 'first' | 'second';
  outcome: string;
  reason: string;
  error: string;
}

/** The verification's parameters posted back with what is wrong in each, and the service's reason. */
export interface ParamsForm {
  values: Record<string, string>;
  errors: Record<string, string>;
  reason: string;
}

/** The parameters the application's measure reads: the fields of the verification form. */
export const measureParams = (measure: string) => policyBook().measureParameters(measure);

const paramId = (name: string) => `param-${name.replace(/\W/g, '-')}`;

const SOURCES: Record<string, string> = {
  central: '中央财政',
  province: '省级财政',
  city: '市级财政',
  district: '区县级财政',
};

const badge = (ok: boolean, text: string) => `<span class="badge ${ok ? 'ok' : 'flag'}">${esc(text)}</span>`;
const verdict = (ctx: PageContext, clean: boolean) => badge(clean, ctx.t(clean ? 'bu.passed' : 'bu.failed'));

const section = (id: string, title: string, body: string) =>
  `<section aria-labelledby="h-${id}" id="${id}"><h2 id="h-${id}">${esc(title)}</h2>${body}</section>`;

function facts(ctx: PageContext, a: ApplicationView): string {
  const { t } = ctx;
  return `<dl class="facts">
<dt>${esc(t('bu.id'))}</dt><dd>${esc(a.id)}</dd>
<dt>${esc(t('bu.enterprise'))}</dt><dd><a href="/enterprises/${encodeURIComponent(a.enterpriseId)}">${esc(a.enterpriseName)}</a></dd>
<dt>${esc(t('bu.measure'))}</dt><dd>${esc(measureName(a.measure))}</dd>
<dt>${esc(t('bu.batch'))}</dt><dd>${a.batch === null ? '—' : esc(a.batch)}</dd>
<dt>${esc(t('bu.state'))}</dt><dd id="state">${esc(stateName(ctx, a.state))}</dd>
<dt>${esc(t('bu.submittedBy'))}</dt><dd>${esc(a.submittedBy)} · ${esc(beijingTime(a.submittedAt))}</dd>
<dt>${esc(t('bu.aboveScale'))}</dt><dd>${a.aboveScale === null ? '—' : esc(t(a.aboveScale ? 'yes' : 'no'))}</dd>
</dl>`;
}

function levelRule(ctx: PageContext, record: AssessmentRecord, caption: string): string {
  const { t } = ctx;
  const pair = (p: { required: number | string; actual: number | string } | undefined) =>
    p ? `${esc(p.required)} / ${esc(p.actual)}` : '—';
  return table(
    (['bu.rule.level', 'bu.rule.score', 'bu.rule.scenes', 'bu.rule.star', 'bu.rule.holds'] as const).map(
      (k) => esc(t(k)),
    ),
    record.report.checks.map((c) => [
      esc(levelText(ctx, c.level)),
      pair(c.score),
      pair(c.scenes),
      pair(c.constrainingScenes),
      c.holds ? `<span class="ok">✓ ${esc(t('yes'))}</span>` : `<span class="muted">✗ ${esc(t('no'))}</span>`,
    ]),
    esc(caption),
  );
}

async function levels(ctx: PageContext, db: Db, who: Principal, v: Verification) {
  const { t } = ctx;
  const l = v.levels;
  if ('error' in l) return `<p class="error">${esc(l.error)}</p>`;
  const before = await getAssessment(db, who, l.before.id, l.before.version);
  const after = await getAssessment(db, who, l.after.id, l.after.version);
  const delta = new Decimal(l.score.delta);
  return `<p class="level-change"><span id="level-before">${esc(levelText(ctx, l.level.before))}</span> → <span id="level-after">${esc(levelText(ctx, l.level.after))}</span>
<span class="muted">（${esc(t('as.score'))} ${esc(l.score.before)} → ${esc(l.score.after)}，${delta.isNegative() ? '' : '+'}${esc(l.score.delta)}）</span></p>
${levelRule(ctx, before, `${t('bu.before')} · ${l.before.id} v${l.before.version}`)}${levelRule(ctx, after, `${t('bu.after')} · ${l.after.id} v${l.after.version}`)}`;
}

function gatewayIntegrity(ctx: PageContext, g: Verification['integrity']['gateways'][number]): string {
  const { t } = ctx;
  const head = `<h3>${esc(t('ent.gateway'))} ${esc(g.gateway)} ${verdict(ctx, g.clean)}</h3>`;
  if ('error' in g && typeof g.error === 'string')
    return `<div class="gateway" data-gateway="${esc(g.gateway)}">${head}<p class="error">${esc(t('bu.gatewayError', { why: g.error }))}</p></div>`;
  const i = g as unknown as Integrity & { store: string };
  const a = i.attestations;
  const attested = `<p>${esc(
    t('bu.attestations', {
      n: a.valid,
      from: a.firstSeq ?? '—',
      to: a.lastSeq ?? '—',
      source: t((a as { source?: string }).source === 'central' ? 'bu.source.central' : 'bu.source.store'),
    }),
  )}</p><p class="muted"><code>${esc(i.store)}</code></p>`;
  const guarantees = `<p>${esc(t('bu.guarantees'))}:</p><ul>${i.guarantees
    .map(
      (x) =>
        `<li class="${x.held ? '' : 'flag'}">${esc(t(x.held ? 'bu.held' : 'bu.notHeld'))}: ${esc(GUARANTEE_ZH[x.id][x.held ? 0 : 1])}</li>`,
    )
    .join('')}</ul>`;
  const coverage = table(
    (['ent.device', 'bu.coveragePct', 'bu.span', 'bu.gaps', 'bu.unattested'] as const).map((k) => esc(t(k))),
    i.devices.map((d) => [
      esc(d.device),
      `<span data-coverage="${esc(d.device)}">${esc(d.coveragePercent)}%</span>`,
      d.firstAttested ? esc(spanZh(d.firstAttested, d.lastAttested)) : '—',
      esc(d.gaps),
      esc(d.unattestedPoints),
    ]),
    esc(t('bu.coverage')),
  );
  const total = Object.values(i.findingCounts).reduce((s, n) => s + n, 0);
  const findings =
    i.findings.length === 0
      ? `<p class="ok">${esc(t('bu.noFindings'))}</p>`
      : `<p class="flag">${esc(t('bu.findings'))}${total > i.findings.length ? esc(t('bu.findings.more', { shown: i.findings.length, total })) : ''}:</p><ul class="flag findings">${i.findings
          .map((f) => {
            const [name, meaning] = FINDING_ZH[f.kind as FindingKind] ?? [f.kind, f.message];
            const where = [f.device ?? '', spanZh(f.from ?? f.at, f.to)].filter(Boolean).join('，');
            return `<li data-kind="${esc(f.kind)}"><strong>${esc(name)}</strong>${where ? `（${esc(where)}）` : ''}：${esc(meaning)}</li>`;
          })
          .join('')}</ul>`;
  const flags =
    i.flags.length === 0
      ? ''
      : `<p>${esc(t('bu.flags'))}:</p><ul>${i.flags
          .map(
            (f) =>
              `<li>${esc(f.device)}${f.tag ? `/${esc(f.tag)}` : ''}：${esc(PLAUSIBILITY_ZH[f.kind] ?? f.message)}</li>`,
          )
          .join('')}</ul>`;
  return `<div class="gateway" data-gateway="${esc(g.gateway)}">${head}${attested}${findings}${guarantees}${coverage}${flags}</div>`;
}

function integrity(ctx: PageContext, v: Verification): string {
  const { t } = ctx;
  const i = v.integrity;
  return `<p id="integrity-verdict">${verdict(ctx, i.clean)} · ${esc(t('bu.window'))}: ${esc(spanZh(i.window.from, i.window.to))}</p>
${i.error ? `<p class="error" id="integrity-error">${esc(i.gateways.length === 0 ? t('bu.integrity.noGateway') : i.error)}</p>` : ''}${i.gateways.map((g) => gatewayIntegrity(ctx, g)).join('\n')}`;
}

/** What the enterprise answered for an item of the after assessment. */
function answered(after: AssessmentRecord | null, item: string): string {
  const r = after?.report.items.find((i) => i.id === item);
  if (!r) return '—';
  const choice = r.chosen.map((c) => c.text).join('、') || '—';
  return r.rate ? `${r.rate.numerator}/${r.rate.denominator} = ${r.rate.percent}% ${choice}` : choice;
}

function evidence(ctx: PageContext, v: Verification, after: AssessmentRecord | null): string {
  const { t } = ctx;
  if (v.evidence.length === 0) return `<p class="muted">${esc(t('ent.gateways.none'))}</p>`;
  return v.evidence
    .map((e) => {
      if ('unavailable' in e)
        return `<p class="muted">${esc(t('bu.evidence.unavailable', { gateway: e.gateway, why: e.unavailable }))}</p>`;
      const contradictions = e.contradictions as { item: string; message: string; zh?: string }[];
      const flagged = new Set(contradictions.map((c) => c.item));
      const rates = [e.networking, e.digitization].filter(Boolean) as RateFigure[];
      const rows = rates.map((f) => {
        const name = after?.report.items.find((i) => i.id === f.item)?.name ?? f.item;
        const bad = flagged.has(f.item);
        return [esc(name), esc(answered(after, f.item)), esc(measuredRate(f)), verdictMark(ctx, f.item, bad)];
      });
      const links = (e.links as LinkFigure[]).map((l) => `<li>${linkLine(ctx, l)}</li>`);
      const found =
        contradictions.length === 0
          ? `<p class="ok">${esc(t('bu.noContradictions'))}</p>`
          : `<p class="flag">${esc(t('bu.contradictions'))}:</p><ul class="flag">${contradictions.map((c) => `<li>${esc(flagText(ctx, c))}</li>`).join('')}</ul>`;
      return `<div class="gateway" data-evidence="${esc(e.gateway)}"><h3>${esc(t('ent.gateway'))} ${esc(e.gateway)}</h3>
${
  rows.length
    ? table(
        (['bu.item', 'bu.answered', 'bu.measured', 'bu.verification'] as const).map((k) => esc(t(k))),
        rows,
      )
    : ''
}
${links.length ? `<p>${esc(t('bu.links'))}:</p><ul>${links.join('')}</ul>` : ''}${found}</div>`;
    })
    .join('\n');
}

const cite = (c: Citation | undefined) =>
  c
    ? `<p class="cite"><span class="doc">${esc(c.document)} ${esc(c.article)}</span>${c.quote ? `<q>${esc(c.quote)}</q>` : ''}</p>`
    : '';

/** The parameters a verification was given, as sent (shown where the payout could not be computed). */
function suppliedParams(ctx: PageContext, params: Record<string, string> | undefined): string {
  const given = Object.entries(params ?? {});
  return given.length === 0
    ? ''
    : `<h3>${esc(ctx.t('bu.params.supplied'))}</h3><ul id="payout-params">${given.map(([name, value]) => `<li>${esc(name)} = ${esc(value)}</li>`).join('')}</ul>`;
}

function payout(ctx: PageContext, v: Verification): string {
  const { t } = ctx;
  const p = v.payout;
  if ('error' in p)
    return `<p class="error">${esc(t('bu.payout.error', { why: `${p.error.code}: ${p.error.message}` }))}</p>${suppliedParams(ctx, p.params)}`;
  const trace = p.trace as Trace | null;
  const split = p.split
    ? table(
        [esc(t('bu.split')), esc(t('bu.amount'))],
        Object.entries(p.split).map(([source, amount]) => [
          esc(SOURCES[source] ?? source),
          `<span class="money" data-split="${esc(source)}">${esc(amount)}</span>`,
        ]),
      )
    : '';
  const reasons =
    p.reasons.length === 0
      ? ''
      : `<p class="flag">${esc(t('bu.reasons'))}:</p><ul class="flag">${(
          p.reasons as { message: string; document: string; article: string }[]
        )
          .map((r) => `<li>${esc(r.message)}〔${esc(r.document)} ${esc(r.article)}〕</li>`)
          .join('')}</ul>`;
  const params =
    trace && trace.parameters.length > 0
      ? `<h3>${esc(t('bu.params'))}</h3><ul class="steps" id="payout-params">${trace.parameters
          .map(
            (x) => `<li><p>${esc(x.name)} = ${esc(x.value)}（${esc(x.meaning)}）</p>${cite(x.citation)}</li>`,
          )
          .join('')}</ul>`
      : suppliedParams(ctx, p.params);
  const steps = trace
    ? `<h3>${esc(t('bu.steps'))}</h3><ol class="steps" id="payout-steps">${trace.steps
        .map((s) => `<li><p>${esc(s.text)}</p>${cite(s.citation)}</li>`)
        .join('')}</ol>`
    : '';
  const basis = trace
    ? `<p class="muted">${esc(trace.document.name)} ${esc(trace.measure.article)} · ${esc(trace.document.issuer)}</p>`
    : '';
  return `<p class="amount">${esc(t('bu.payout.amount'))}：<strong id="payout-amount" class="money">${esc(p.amount)}</strong> 元 · ${badge(p.eligible, t(p.eligible ? 'bu.eligible' : 'bu.notEligible'))}</p>
${basis}${reasons}${split}${params}${steps}
<details><summary>${esc(t('bu.explanation'))}</summary><pre class="explanation">${esc(p.explanation)}</pre></details>`;
}

/** The decisions made on an application, each with its reason (the panel, and the enterprise's file). */
export function decisionHistory(ctx: PageContext, a: ApplicationView): string {
  const { t } = ctx;
  return a.decisions.length === 0
    ? `<p class="muted">${esc(t('bu.decisions.none'))}</p>`
    : table(
        (['bu.step', 'bu.outcome', 'bu.reason', 'bu.officer', 'bu.at'] as const).map((k) => esc(t(k))),
        a.decisions.map((d) => [
          esc(t(d.step === 'first' ? 'bu.step.first' : 'bu.step.second')),
          `<span data-outcome="${esc(d.outcome)}">${esc(t(`bu.outcome.${d.outcome}`))}</span>`,
          esc(d.reason),
          esc(d.officer),
          esc(beijingTime(d.at)),
        ]),
      );
}

/** The latest verification's verdict: data clean or not, eligible or not (or not verified yet). */
export function verificationCell(ctx: PageContext, a: ApplicationView): string {
  const { t } = ctx;
  const v = a.verification;
  if (!v) return `<span class="muted">${esc(t('bu.notVerified'))}</span>`;
  return `<span class="${v.clean ? 'ok' : 'flag'}">${esc(t(v.clean ? 'bu.clean' : 'bu.notClean'))}</span> · <span class="${v.eligible ? 'ok' : 'flag'}">${esc(t(v.eligible ? 'bu.eligible' : 'bu.notEligible'))}</span>`;
}

function decisions(ctx: PageContext, a: ApplicationView, form: DecisionForm | undefined): string {
  const { t } = ctx;
  const history = decisionHistory(ctx, a);
  const step = a.state === 'submitted' ? 'first' : a.state === 'first-approved' ? 'second' : null;
  const error = form?.error ? `<p class="error" role="alert" id="decision-error">${esc(form.error)}</p>` : '';
  if (step === null)
    return `${history}${error}<p class="muted">${esc(a.state === 'returned' ? t('bu.awaitResubmit') : t('bu.closed', { state: stateName(ctx, a.state) }))}</p>`;
  const stepName = t(step === 'first' ? 'bu.step.first' : 'bu.step.second');
  const first = currentRound(a.decisions).find((d) => d.step === 'first');
  const note =
    step === 'second' && first
      ? `<p class="muted">${esc(t('bu.secondNote', { officer: first.officer }))}</p>`
      : '';
  const kept = form?.step === step ? form : undefined;
  const outcomes = (['approve', 'reject', 'return'] as const)
    .map(
      (o) =>
        `<label class="option"><input type="radio" name="outcome" value="${o}"${kept?.outcome === o ? ' checked' : ''}> ${esc(t(`bu.outcome.${o}`))}</label>`,
    )
    .join('');
  const fields = `<input type="hidden" name="step" value="${step}"><fieldset class="question"><legend>${esc(stepName)} · ${esc(t('bu.outcome'))}</legend>${outcomes}</fieldset>
<label for="reason">${esc(t('bu.reason'))}</label><textarea id="reason" name="reason" rows="3" required${form?.error ? ' aria-describedby="decision-error"' : ''}>${esc(kept?.reason ?? '')}</textarea>
<p><button type="submit">${esc(t('bu.decide', { step: stepName }))}</button></p>`;
  // The fragment stays on the answer: a refusal comes back scrolled to this section.
  const action = `/bureau/applications/${encodeURIComponent(a.id)}/review#decisions`;
  return `${history}${error}${note}${postForm(ctx, action, fields, 'class="card decision" novalidate')}`;
}

/**
 * The verify button with a field for each parameter the measure reads (labelled with its meaning in
 * the document's words, its form and its article), filled with what the last verification was given;
 * posted back with what to fix beside each field and the service's reason.
 */
function verifyForm(
  ctx: PageContext,
  a: ApplicationView,
  latest: Verification | null,
  label: string,
  form: ParamsForm | undefined,
): string {
  const { t } = ctx;
  const params = measureParams(a.measure);
  const used = latest?.payout.params ?? {};
  const missing =
    !form && latest && 'error' in latest.payout && latest.payout.error.code === 'SHUGAI_PARAMETER_MISSING'
      ? latest.payout.error.message
      : '';
  const fields = params.map(({ decl, doc }) => {
    const id = paramId(decl.name);
    const value = form ? (form.values[decl.name] ?? '') : (used[decl.name] ?? '');
    const error =
      form?.errors[decl.name] ??
      (missing.startsWith(`missing parameter ${decl.name}:`)
        ? t('bu.param.missing', { meaning: decl.meaning })
        : undefined);
    const aria = ` aria-describedby="${id}-hint${error ? ` ${id}-err` : ''}"${error ? ' aria-invalid="true"' : ''}`;
    const name = `param.${esc(decl.name)}`;
    const input = decl.allowed
      ? `<select id="${id}" name="${name}"${aria}>${['', ...decl.allowed]
          .map((v) => `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(v || '—')}</option>`)
          .join('')}</select>`
      : `<input id="${id}" name="${name}" value="${esc(value)}"${decl.kind === 'date' ? '' : ' inputmode="decimal"'} autocomplete="off"${aria}>`;
    return `<div class="param"><label for="${id}">${esc(decl.meaning)}</label>${error ? `<p class="error" id="${id}-err">${esc(error)}</p>` : ''}${input}<p class="muted" id="${id}-hint">${esc(t(`bu.param.kind.${decl.kind}`))} · <code>${esc(decl.name)}</code> · ${esc(documentName(doc))} ${esc(decl.article)}</p></div>`;
  });
  const summary = form
    ? `<div class="error-summary" role="alert" tabindex="-1" id="params-error"><p>${esc(t('bu.params.errors'))}</p><ul>${Object.entries(
        form.errors,
      )
        .map(([n, message]) => `<li><a href="#${paramId(n)}">${esc(message)}</a></li>`)
        .join(
          '',
        )}</ul><p class="muted" id="params-reason">${esc(t('bu.params.reason', { reason: form.reason }))}</p></div>`
    : '';
  const fieldset =
    params.length === 0
      ? ''
      : `<fieldset class="params"><legend>${esc(t('bu.params.form'))}</legend><p class="muted">${esc(t('bu.params.optional'))}</p>${fields.join('')}</fieldset>`;
  return `${summary}${postForm(
    ctx,
    `/bureau/applications/${encodeURIComponent(a.id)}/verify#verification`,
    `${fieldset}<p><button type="submit">${esc(label)}</button></p>`,
    'class="verify" id="verify-form" novalidate',
  )}`;
}

export async function panelBody(
  ctx: PageContext,
  db: Db,
  who: Principal,
  a: ApplicationView,
  form?: DecisionForm,
  params?: ParamsForm,
): Promise<string> {
  const { t } = ctx;
  const latest = a.verification ? await getVerification(db, who, a.verification.id) : null;
  const back = `<p><a href="/bureau/applications">← ${esc(t('bureau.queue'))}</a></p>`;
  if (!latest)
    return `${back}${facts(ctx, a)}${section('verification', t('bu.verification'), `<p class="notice">${esc(t('bu.verify.none'))}</p>${verifyForm(ctx, a, null, t('bu.verify'), params)}`)}${section('decisions', t('bu.decisions'), decisions(ctx, a, form))}`;
  const stale = latest.at < a.submittedAt ? `<p class="notice">${esc(t('bu.verify.stale'))}</p>` : '';
  const after =
    'error' in latest.levels
      ? null
      : await getAssessment(db, who, latest.levels.after.id, latest.levels.after.version);
  return `${back}${facts(ctx, a)}
${section('verification', t('bu.verification'), `${stale}<p>${esc(t('bu.verifiedAt', { at: beijingTime(latest.at), by: latest.by }))}</p>${verifyForm(ctx, a, latest, t('bu.reverify'), params)}`)}
${section('levels', t('bu.levels'), await levels(ctx, db, who, latest))}
${section('integrity', t('bu.integrity'), integrity(ctx, latest))}
${section('evidence', t('bu.evidence'), evidence(ctx, latest, after))}
${section('payout', t('bu.payout'), payout(ctx, latest))}
${section('decisions', t('bu.decisions'), decisions(ctx, a, form))}`;
}
