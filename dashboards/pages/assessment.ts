/**
 * The assessor's and the enterprise's assessment pages: the questionnaire of the 2024 catalogue
 * (every item with its official option texts, the 16 scenes with their 64 level texts), recorded
 * through the platform's workflow (`recordAssessment`, `validateAssessment`: the same rules as the
 * API); the result with the score, the level and what is missing, the gap analysis, the radar of
 * the four dimensions and before/after, and validation. A form with a mistake comes back with the
 * answers kept and each mistake said in Chinese next to its question.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Answers } from '../../assessment/answers.ts';
import { type Catalogue, type CatalogueItem, loadCatalogue } from '../../assessment/catalogue/load.ts';
import { DECIMAL_PATTERN } from '../../assessment/catalogue/schema.ts';
import { pdfOf } from '../../assessment/pdf.ts';
import { radarAxes } from '../../assessment/radar.ts';
import type { AssessmentRecord } from '../../assessment/records/workflow.ts';
import { renderHtml } from '../../assessment/report.ts';
import type { Shortfall } from '../../assessment/score.ts';
import { may, type Principal } from '../platform/accounts/roles.ts';
import {
  attachToAssessment,
  getAssessment,
  listAssessments,
  recordAssessment,
  validateAssessment,
} from '../platform/assessments/repository.ts';
import { principal } from '../platform/auth.ts';
import { getEnterprise } from '../platform/enterprises/repository.ts';
import { badRequest, notFound } from '../platform/errors.ts';
import { enterpriseEvidence } from '../platform/verifications/compute.ts';
import { attachmentsSection, readUpload, type UploadForm } from './attachments.ts';
import { beforeAfterOptions, radarOptions } from './charts.ts';
import { levelText, stageName } from './enterprise.ts';
import { evidenceBeside, evidenceSummary } from './evidence.ts';
import {
  beijingTime,
  chart,
  esc,
  type FormBody,
  formField,
  formValues,
  html,
  layout,
  type PageContext,
  pageContext,
  postForm,
  table,
} from './html.ts';
import type { PagesOptions } from './plugin.ts';

const EDITION = '2024';

/** Form fields → answers, and every mistake in Chinese by field (an empty map when none). */
export function answersFromForm(
  catalogue: Catalogue,
  form: FormBody,
  enterprise: { name: string; uscc: string },
): { answers: Answers; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  const items: Answers['items'] = {};
  for (const item of catalogue.items) {
    const note = formField(form, `note.${item.id}`);
    const extra = note === '' ? {} : { note };
    if (item.rate) {
      const numerator = formField(form, `rate.${item.id}.n`);
      const denominator = formField(form, `rate.${item.id}.d`);
      if (!DECIMAL_PATTERN.test(numerator) || !DECIMAL_PATTERN.test(denominator))
        errors.set(
          item.id,
          `「${item.name}」：请填写${item.rate.numerator}和${item.rate.denominator}（不带单位的数字，如 30）。`,
        );
      else if (Number(denominator) === 0)
        errors.set(item.id, `「${item.name}」：${item.rate.denominator}不能为 0。`);
      else if (Number(numerator) > Number(denominator))
        errors.set(item.id, `「${item.name}」：${item.rate.numerator}不能大于${item.rate.denominator}。`);
      items[item.id] = { rate: { numerator, denominator }, ...extra };
      continue;
    }
    const chosen = formValues(form, `item.${item.id}`);
    const exclusive = item.options.find((o) => o.exclusive)?.id;
    if (item.type === 'single' && chosen.length !== 1) errors.set(item.id, `「${item.name}」：请选择一项。`);
    else if (item.type === 'multi' && exclusive && chosen.length === 0)
      errors.set(item.id, `「${item.name}」：请至少勾选一项；都没有时勾选“无”。`);
    else if (exclusive && chosen.includes(exclusive) && chosen.length > 1)
      errors.set(item.id, `「${item.name}」：勾选了“无”就不能再勾选其他选项。`);
    items[item.id] = { options: chosen, ...extra };
  }
  const scenes: Answers['scenes'] = {};
  for (const scene of catalogue.scenes) {
    const level = formField(form, `scene.${scene.name}`);
    if (!/^[0-4]$/.test(level))
      errors.set(`scene.${scene.name}`, `场景「${scene.name}」：请选择达到的等级（未达到一级时选 0）。`);
    else scenes[scene.name] = Number(level);
  }
  return {
    answers: {
      edition: catalogue.edition,
      enterprise: { name: enterprise.name, creditCode: enterprise.uscc },
      items,
      scenes,
    },
    errors,
  };
}

function itemField(
  item: CatalogueItem,
  answers: Answers | null,
  error: string | undefined,
  measured: string,
): string {
  const answer = answers?.items[item.id];
  const id = (suffix: string) => `f-${item.id}-${suffix}`;
  const star = error ? ` aria-invalid="true" aria-describedby="${id('err')}"` : '';
  let inputs: string;
  if (item.rate) {
    inputs = `<p class="muted">${esc(item.rate.formula)}</p>
<div class="rate"><label for="${id('n')}">${esc(item.rate.numerator)}</label><input id="${id('n')}" name="rate.${item.id}.n" inputmode="decimal" value="${esc(answer?.rate?.numerator ?? '')}"${star}>
<label for="${id('d')}">${esc(item.rate.denominator)}</label><input id="${id('d')}" name="rate.${item.id}.d" inputmode="decimal" value="${esc(answer?.rate?.denominator ?? '')}"${star}></div>
<p class="muted">${item.options.map((o) => `${esc(o.text)} → ${esc(o.points)}`).join('；')}</p>`;
  } else {
    const type = item.type === 'single' ? 'radio' : 'checkbox';
    inputs = item.options
      .map(
        (o, i) =>
          `<label class="option"><input type="${type}" name="item.${item.id}" value="${esc(o.id)}"${answer?.options?.includes(o.id) ? ' checked' : ''}${i === 0 ? star : ''}> ${esc(o.text)} <span class="muted">(${esc(o.points)})</span></label>`,
      )
      .join('');
  }
  return `<fieldset class="question${error ? ' invalid' : ''}" id="q-${item.id}"><legend>${esc(item.name)} <span class="muted">${esc(item.points)} 分 · ${esc(item.indicatorName)}</span></legend>
${error ? `<p class="error" id="${id('err')}">${esc(error)}</p>` : ''}${measured}${inputs}
<label class="note" for="${id('note')}">说明（可选）</label><input id="${id('note')}" name="note.${item.id}" value="${esc(answer?.note ?? '')}"></fieldset>`;
}

function sceneField(
  catalogue: Catalogue,
  name: string,
  answers: Answers | null,
  error: string | undefined,
  measured: string,
): string {
  const scene = catalogue.scenes.find((s) => s.name === name);
  if (!scene) return '';
  const chosen = answers?.scenes[name];
  const field = `scene.${name}`;
  const errId = `e-scene-${name}`;
  const levels = [`未达到一级`, ...scene.levels];
  return `<fieldset class="question${error ? ' invalid' : ''}" id="q-scene-${esc(name)}"><legend>${esc(name)}${scene.constraining ? ' ★' : ''}</legend>
${error ? `<p class="error" id="${esc(errId)}">${esc(error)}</p>` : ''}${measured}${levels
  .map(
    (text, level) =>
      `<label class="option"><input type="radio" name="${esc(field)}" value="${level}"${chosen === level ? ' checked' : ''}${error && level === 0 ? ` aria-invalid="true" aria-describedby="${esc(errId)}"` : ''}> <strong>${level === 0 ? '0' : `${['', '一', '二', '三', '四'][level]}级`}</strong> ${esc(text)}</label>`,
  )
  .join('')}</fieldset>`;
}

function questionnaire(
  ctx: PageContext,
  catalogue: Catalogue,
  action: { enterpriseId: string; stage: 'self' | 'onsite'; assessment?: string | undefined },
  answers: Answers | null,
  errors: Map<string, string>,
  evidence: Awaited<ReturnType<typeof enterpriseEvidence>>,
): string {
  const { t } = ctx;
  const beside = (target: { item: string } | { scene: string }) =>
    evidenceBeside(ctx, evidence.gateways, target);
  const summary =
    errors.size === 0
      ? ''
      : `<div class="error-summary" role="alert" tabindex="-1" id="errors"><p>${esc(t('as.errors', { n: errors.size }))}</p><ul>${[
          ...errors,
        ]
          .map(([key, message]) => `<li><a href="#q-${esc(key)}">${esc(message)}</a></li>`)
          .join('')}</ul></div>`;
  const byDimension = catalogue.dimensions
    .map(
      (d) =>
        `<h3>${esc(d.name)} <span class="muted">${esc(d.points)} 分</span></h3>${catalogue.items
          .filter((i) => i.dimension === d.id)
          .map((i) => itemField(i, answers, errors.get(i.id), beside({ item: i.id })))
          .join('\n')}`,
    )
    .join('\n');
  const scenes = catalogue.sceneGroups
    .map(
      (g) =>
        `<h3>${esc(g.name)}</h3>${g.scenes.map((s) => sceneField(catalogue, s.name, answers, errors.get(`scene.${s.name}`), beside({ scene: s.name }))).join('\n')}`,
    )
    .join('\n');
  const hidden = `<input type="hidden" name="stage" value="${action.stage}">${
    action.assessment ? `<input type="hidden" name="assessment" value="${esc(action.assessment)}">` : ''
  }`;
  return `${summary}${evidenceSummary(ctx, evidence.gateways, evidence.window)}${postForm(
    ctx,
    `/enterprises/${encodeURIComponent(action.enterpriseId)}/assessments`,
    `${hidden}<h2>${esc(t('as.items'))}</h2>${byDimension}<h2>${esc(t('as.scenes'))}</h2>${scenes}
<p><button type="submit">${esc(t(action.stage === 'onsite' ? 'as.submit.onsite' : 'as.submit.self'))}</button></p>`,
    'class="questionnaire" novalidate',
  )}`;
}

function shortfallZh(s: Shortfall, level: number): string {
  if (s.kind === 'points') return `还差 ${s.needed} 分`;
  const star = s.kind === 'constrainingScenes' ? '约束性(★)' : '';
  return `还需 ${s.needed} 个${star}场景达到${['', '一', '二', '三', '四'][level]}级及以上`;
}

const axesOf = (r: AssessmentRecord) =>
  radarAxes(
    r.report.dimensions,
    r.report.scenes.map((s) => s.level),
  );

function resultBody(
  ctx: PageContext,
  record: AssessmentRecord,
  enterpriseId: string,
  before: AssessmentRecord | null,
  canValidate: boolean,
) {
  const { t } = ctx;
  const r = record.report;
  const target = r.level === null ? 1 : r.level + 1;
  const missing =
    r.missing.length === 0
      ? ''
      : `<p><strong>${esc(t('as.missing'))}（${esc(levelText(ctx, target))}）</strong>：${r.missing.map((s) => esc(shortfallZh(s, target))).join('；')}</p>`;
  const status = record.validation
    ? `<p class="ok">${esc(t('as.validated', { by: record.validation.by, at: beijingTime(Date.parse(record.validation.at)) }))}</p>`
    : `<p class="muted">${esc(t('as.notOfficial'))}</p>`;
  const dims = table(
    [t('as.dimension'), t('as.points')].map(esc),
    r.dimensions.map((d) => [esc(d.name), `${esc(d.points)} / ${esc(d.max)}`]),
  );
  const series = [
    ...(before
      ? [
          {
            title: `${stageName(ctx, before.stage, before.officialLevel)} v${before.version}`,
            axes: axesOf(before),
          },
        ]
      : []),
    {
      title: `${stageName(ctx, record.stage, record.officialLevel)} v${record.version}`,
      axes: axesOf(record),
    },
  ];
  const gapItems = r.gap.items.map((c) => [
    esc(c.name),
    esc(c.to.text),
    esc(c.gain),
    c.demonstrable ? esc(t('yes')) : '',
  ]);
  const gapScenes = r.gap.scenes.map((c) => [
    `${esc(c.scene)}${c.constraining ? ' ★' : ''}`,
    `${c.from} → ${c.to}`,
    esc(c.text),
    c.demonstrable ? esc(t('yes')) : '',
  ]);
  const gap =
    r.gap.target === null
      ? ''
      : `<h2>${esc(t('as.gap'))}（→ ${esc(levelText(ctx, r.gap.target))}）</h2>
${gapItems.length ? table([t('as.gap.items'), '→', t('as.gap.gain'), t('as.gap.demonstrable')].map(esc), gapItems) : ''}
${gapScenes.length ? table([t('as.gap.scenes'), '→', '', t('as.gap.demonstrable')].map(esc), gapScenes) : ''}`;
  const flags =
    r.flags.length === 0
      ? ''
      : `<h2>${esc(t('as.flags'))}</h2><ul>${r.flags.map((f) => `<li>${esc(f.item)}：${esc(f.message)}</li>`).join('')}</ul>`;
  const validate =
    canValidate && !record.validation && record.stage === 'onsite'
      ? postForm(
          ctx,
          `/assessments/${encodeURIComponent(record.id)}/validate`,
          `<button type="submit">${esc(t('as.validate'))}</button>`,
        )
      : '';
  const edit = record.validation
    ? ''
    : `<a class="button secondary" href="/enterprises/${encodeURIComponent(enterpriseId)}/assessments/new?stage=${record.stage}&amp;assessment=${encodeURIComponent(record.id)}">${esc(t('as.edit'))}</a>`;
  const version = `?version=${record.version}`;
  const reports = `<p class="reports"><a href="/assessments/${encodeURIComponent(record.id)}/report.html${version}">${esc(t('as.report.html'))}</a> · <a href="/assessments/${encodeURIComponent(record.id)}/report.pdf${version}">${esc(t('as.report.pdf'))}</a></p>`;
  return `<dl class="facts"><dt>${esc(t('as.stage'))}</dt><dd>${esc(stageName(ctx, record.stage, record.officialLevel))} · v${record.version}</dd>
<dt>${esc(t('as.score'))}</dt><dd id="score">${esc(r.score)}</dd>
<dt>${esc(t('as.level'))}</dt><dd id="level">${esc(levelText(ctx, r.level))}</dd>
<dt>${esc(t('as.official'))}</dt><dd id="official">${record.officialLevel === null ? '—' : esc(levelText(ctx, record.officialLevel))}</dd></dl>
${status}${missing}<p>${validate} ${edit}</p>${reports}
<div class="grid2">${chart('chart-radar', t('as.radar'), radarOptions(series))}${chart('chart-before-after', t('as.beforeAfter'), beforeAfterOptions(series))}</div>
${dims}${gap}${flags}`;
}

/** `?version=N` when it is a version number; the latest otherwise. */
const versionOf = (query: { version?: string }) =>
  /^[1-9]\d{0,5}$/.test(query.version ?? '') ? Number(query.version) : undefined;

/**
 * The report as `shugai assess report` renders it from a record (assessment/report.ts), served as it
 * is: self-contained (inline style and SVG), so nothing else may load in it.
 */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function assessmentPages(app: FastifyInstance, options: PagesOptions): void {
  const { db, now } = options;
  const catalogue = loadCatalogue(EDITION);
  /** The machine evidence beside the items, checked against a recorded version's answers when there is one. */
  const measured = (who: Principal, enterpriseId: string, answered: AssessmentRecord | null) =>
    enterpriseEvidence(
      db,
      who,
      enterpriseId,
      answered,
      { edition: EDITION, ...(options.openStore ? { openStore: options.openStore } : {}) },
      now(),
    );

  app.get<{ Params: { id: string }; Querystring: { stage?: string; assessment?: string } }>(
    '/enterprises/:id/assessments/new',
    async (request, reply) => {
      const ctx = pageContext(request, reply);
      const who = principal(request);
      const enterprise = await getEnterprise(db, who, request.params.id);
      const stage = request.query.stage === 'self' ? 'self' : 'onsite';
      const continued = request.query.assessment;
      const previous = continued ? await getAssessment(db, who, continued) : null;
      const body = questionnaire(
        ctx,
        catalogue,
        { enterpriseId: enterprise.id, stage, assessment: continued },
        previous?.answers ?? null,
        new Map(),
        await measured(who, enterprise.id, previous),
      );
      return html(reply, layout(ctx, `${enterprise.name} · ${ctx.t('as.questionnaire')}`, body));
    },
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/enterprises/:id/assessments',
    async (request, reply) => {
      const ctx = pageContext(request, reply);
      const who = principal(request);
      const enterprise = await getEnterprise(db, who, request.params.id);
      const form = (request.body ?? {}) as FormBody;
      const stage = formField(form, 'stage');
      if (stage !== 'self' && stage !== 'onsite') throw badRequest('stage must be self or onsite');
      const assessment = formField(form, 'assessment') || undefined;
      const { answers, errors } = answersFromForm(catalogue, form, enterprise);
      if (errors.size > 0) {
        const previous = assessment ? await getAssessment(db, who, assessment) : null;
        const body = questionnaire(
          ctx,
          catalogue,
          { enterpriseId: enterprise.id, stage, assessment },
          answers,
          errors,
          await measured(who, enterprise.id, previous),
        );
        return html(reply, layout(ctx, `${enterprise.name} · ${ctx.t('as.questionnaire')}`, body), 400);
      }
      const record = await recordAssessment(db, who, enterprise.id, { assessment, stage, answers }, now());
      return reply.redirect(`/assessments/${encodeURIComponent(record.id)}`, 303);
    },
  );

  /** The result page; an upload refused comes back on it with the form's fields and the reason. */
  async function resultPage(
    request: FastifyRequest<{ Params: { id: string }; Querystring: { version?: string } }>,
    reply: FastifyReply,
    upload?: UploadForm,
  ) {
    const ctx = pageContext(request, reply);
    const who = principal(request);
    const record = await getAssessment(db, who, request.params.id, versionOf(request.query));
    // The record names its enterprise by name and code; its row, already in scope, by id.
    const row = await db
      .selectFrom('assessment_records')
      .select('enterprise_id')
      .where('assessment_id', '=', record.id)
      .executeTakeFirstOrThrow();
    const enterpriseId = row.enterprise_id;
    // Before: the latest validated version of another assessment of the enterprise, else this one's previous version.
    const all = await listAssessments(db, who, enterpriseId);
    const earlier = all
      .filter((a) => a.officialLevel !== null && a.id !== record.id && a.recordedAt < record.recordedAt)
      .at(-1);
    const before = earlier
      ? await getAssessment(db, who, earlier.id, earlier.version)
      : record.version > 1
        ? await getAssessment(db, who, record.id, record.version - 1)
        : null;
    const enterprise = await getEnterprise(db, who, enterpriseId);
    const back = `<p><a href="/enterprises/${encodeURIComponent(enterprise.id)}">← ${esc(enterprise.name)}</a></p>`;
    const evidence = attachmentsSection(ctx, catalogue, record, {
      canAttach: may(who, 'assessment.attach'),
      maxBytes: options.maxUploadBytes,
      form: upload,
    });
    return html(
      reply,
      layout(
        ctx,
        `${ctx.t('as.result')} · ${enterprise.name}`,
        `${back}${resultBody(ctx, record, enterpriseId, before, may(who, 'assessment.validate'))}${evidence}`,
        { charts: true },
      ),
      upload?.error ? 400 : 200,
    );
  }

  app.get<{ Params: { id: string }; Querystring: { version?: string } }>(
    '/assessments/:id',
    (request, reply) => resultPage(request, reply),
  );

  app.post<{ Params: { id: string }; Querystring: { version?: string } }>(
    '/assessments/:id/attachments',
    { config: { multipartCsrf: true } },
    async (request, reply) => {
      const ctx = pageContext(request, reply);
      const read = await readUpload(ctx, request, catalogue, options.maxUploadBytes);
      if (!('upload' in read)) return resultPage(request, reply, read.form);
      await attachToAssessment(db, principal(request), request.params.id, read.upload, now());
      return reply.redirect(`/assessments/${encodeURIComponent(request.params.id)}#attachments`, 303);
    },
  );

  app.get<{ Params: { id: string; format: string }; Querystring: { version?: string } }>(
    '/assessments/:id/report.:format',
    async (request, reply) => {
      const { format } = request.params;
      if (format !== 'html' && format !== 'pdf') throw notFound(`report format ${format}`);
      const record = await getAssessment(db, principal(request), request.params.id, versionOf(request.query));
      const page = renderHtml(record.report, { record, issuedAt: new Date(now()) });
      const name = `assessment-${record.id.replace(/[^\w-]/g, '_')}-v${record.version}`;
      reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
      if (format === 'html')
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', REPORT_CSP)
          .send(page);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${name}.pdf"`)
        .send(await pdfOf(page));
    },
  );

  app.post<{ Params: { id: string } }>('/assessments/:id/validate', async (request, reply) => {
    const record = await validateAssessment(db, principal(request), request.params.id, now());
    return reply.redirect(`/assessments/${encodeURIComponent(record.id)}`, 303);
  });
}
