/**
 * The enterprise file (一企一档) as a page: facts, equipment register, gateways with their health
 * (the last data the store holds and its device coverage, where the gateway's store is configured;
 * the central attestation copy's count and last time), renovation, assessments and their state.
 * Read through `getEnterpriseFile`, so an enterprise outside the scope is a 404 like in the API.
 */
import type { FastifyInstance } from 'fastify';
import { CentralStore } from '../central/store.ts';
import { may } from '../platform/accounts/roles.ts';
import { listApplications } from '../platform/applications/repository.ts';
import type { ApplicationView } from '../platform/applications/schemas.ts';
import { principal } from '../platform/auth.ts';
import { getEnterpriseFile } from '../platform/enterprises/file.ts';
import { decisionHistory, measureName, stateName, verificationCell } from './bureau-panel.ts';
import { beijingTime, esc, html, layout, type PageContext, pageContext, table } from './html.ts';
import { readPlant } from './plant-data.ts';
import type { PagesOptions } from './plugin.ts';

export function stageName(ctx: PageContext, stage: string, officialLevel: number | null): string {
  if (officialLevel !== null) return ctx.t('as.stage.validated');
  return stage === 'self' ? ctx.t('as.stage.self') : ctx.t('as.stage.onsite');
}

export const levelText = (ctx: PageContext, level: number | null) =>
  level === null ? ctx.t('as.noLevel') : (['', '一级', '二级', '三级', '四级'][level] ?? String(level));

/**
 * One application as its enterprise (or service provider) follows it: measure, state, the latest
 * verification's verdict and amount, and every decision with its reason; a return or a rejection
 * says why in a sentence above the table.
 */
function applicationCard(ctx: PageContext, a: ApplicationView): string {
  const { t } = ctx;
  const last = a.decisions.at(-1);
  const why =
    last && (a.state === 'returned' || a.state === 'rejected')
      ? `<p class="notice" data-why>${esc(t('ent.application.why', { outcome: t(`bu.outcome.${last.outcome}`), reason: last.reason }))}</p>`
      : '';
  return `<article class="card" id="app-${esc(a.id)}" aria-labelledby="h-app-${esc(a.id)}"><h3 id="h-app-${esc(a.id)}">${esc(measureName(a.measure))}</h3>
<dl class="facts"><dt>${esc(t('bu.id'))}</dt><dd>${esc(a.id)}</dd>
<dt>${esc(t('bu.state'))}</dt><dd data-state="${esc(a.state)}">${esc(stateName(ctx, a.state))}</dd>
<dt>${esc(t('bu.submittedAt'))}</dt><dd>${esc(beijingTime(a.submittedAt))}</dd>
<dt>${esc(t('bu.verification'))}</dt><dd>${verificationCell(ctx, a)}</dd>
<dt>${esc(t('bu.amount'))}</dt><dd class="money" data-amount>${a.verification ? esc(a.verification.amount) : '—'}</dd></dl>
${why}${decisionHistory(ctx, a)}</article>`;
}

export function enterprisePages(app: FastifyInstance, options: PagesOptions): void {
  const { db, now } = options;
  const central = new CentralStore(db);
  app.get<{ Params: { id: string } }>('/enterprises/:id', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const { t } = ctx;
    const who = principal(request);
    const file = await getEnterpriseFile(db, who, request.params.id);
    const e = file.enterprise;
    const facts = `<dl class="facts">
<dt>${esc(t('ent.name'))}</dt><dd>${esc(e.name)}</dd>
<dt>${esc(t('ent.uscc'))}</dt><dd>${esc(e.uscc)}</dd>
<dt>${esc(t('ent.region'))}</dt><dd>${esc(e.region)}</dd>
<dt>${esc(t('ent.industry'))}</dt><dd>${esc(e.industry)}</dd>
<dt>${esc(t('ent.scale'))}</dt><dd>${esc(e.scale)}</dd>
<dt>${esc(t('ent.batch'))}</dt><dd>${e.batch === null ? '—' : esc(e.batch)}</dd>
</dl>`;
    const register =
      file.register.length === 0
        ? `<p>${esc(t('ent.register.none'))}</p>`
        : table(
            ['ent.asset', 'ent.device', 'ent.type', 'ent.production', 'ent.status'].map((k) =>
              esc(t(k as 'ent.asset')),
            ),
            file.register.map((r) => [
              esc(r.assetNo),
              esc(r.name),
              esc(r.type),
              esc(r.production ? t('yes') : t('no')),
              esc(r.status),
            ]),
          );
    const gatewayRows = [];
    for (const g of file.gateways) {
      const registered = await central.gateway(g.id);
      const chain = registered ? await central.chain(registered, 1) : null;
      const source = options.plants?.find((p) => p.gatewayId === g.id);
      let lastData = t('unknown');
      let coverage = '—';
      if (source) {
        const reader = await source.open();
        try {
          const view = await readPlant(source, reader, now());
          const last = Math.max(0, ...view.machines.map((m) => m.lastData ?? 0));
          lastData = last === 0 ? t('never') : beijingTime(last);
          coverage = `${view.machines.filter((m) => m.lastData !== null).length}/${view.machines.length}`;
        } finally {
          await reader.close();
        }
      }
      const attested =
        chain && chain.count > 0 && chain.lastTime !== null
          ? `${chain.count} · ${beijingTime(chain.lastTime)}${chain.missingSeqs > 0 ? ` · missing ${chain.missingSeqs}` : ''}${chain.forkCount > 0 ? ` · forks ${chain.forkCount}` : ''}`
          : t('never');
      gatewayRows.push([
        source ? `<a href="/plant/${encodeURIComponent(g.id)}">${esc(g.id)}</a>` : esc(g.id),
        `<code>${esc(g.fingerprint.slice(0, 23))}…</code>`,
        esc(lastData),
        esc(coverage),
        esc(attested),
      ]);
    }
    const gateways =
      file.gateways.length === 0
        ? `<p>${esc(t('ent.gateways.none'))}</p>`
        : table(
            ['ent.gateway', 'ent.fingerprint', 'ent.lastData', 'ent.coverage', 'ent.attestations'].map((k) =>
              esc(t(k as 'ent.gateway')),
            ),
            gatewayRows,
          );
    const renovation = file.renovation
      ? `<dl class="facts"><dt>${esc(t('ent.contract'))}</dt><dd>${esc(file.renovation.contract.number)}</dd><dt>${esc(t('ent.provider'))}</dt><dd>${esc(file.renovation.provider ?? '—')}</dd><dt>${esc(t('ent.total'))}</dt><dd>${esc(file.renovation.total)}</dd></dl>`
      : `<p>${esc(t('ent.renovation.none'))}</p>`;
    const assessments =
      file.assessments.length === 0
        ? `<p>${esc(t('ent.assessments.none'))}</p>`
        : table(
            ['as.stage', 'as.version', 'as.recordedAt', 'as.level', 'as.official'].map((k) =>
              esc(t(k as 'as.stage')),
            ),
            file.assessments.map((a) => [
              `<a href="/assessments/${encodeURIComponent(a.id)}?version=${a.version}">${esc(stageName(ctx, a.stage, a.officialLevel))}</a>`,
              esc(a.version),
              esc(beijingTime(Date.parse(a.recordedAt))),
              esc(levelText(ctx, a.level)),
              a.officialLevel === null ? '—' : esc(levelText(ctx, a.officialLevel)),
            ]),
          );
    const applications = await listApplications(db, who, { enterpriseId: e.id });
    const applicationList =
      applications.length === 0
        ? `<p>${esc(t('ent.applications.none'))}</p>`
        : applications.map((a) => applicationCard(ctx, a)).join('\n');
    const base = `/enterprises/${encodeURIComponent(e.id)}/assessments/new`;
    const actions = [
      may(who, 'assessment.onsite')
        ? `<a class="button" href="${base}?stage=onsite">${esc(t('ent.newOnsite'))}</a>`
        : '',
      may(who, 'assessment.self')
        ? `<a class="button" href="${base}?stage=self">${esc(t('ent.newSelf'))}</a>`
        : '',
    ].join(' ');
    const body = `<section aria-labelledby="h-facts"><h2 id="h-facts">${esc(t('ent.facts'))}</h2>${facts}</section>
<section aria-labelledby="h-gw"><h2 id="h-gw">${esc(t('ent.gateways'))}</h2>${gateways}</section>
<section aria-labelledby="h-as"><h2 id="h-as">${esc(t('ent.assessments'))}</h2>${assessments}<p>${actions}</p>
<p class="muted">${esc(t('ent.assessors'))}: ${esc(file.assessors.join(', ') || '—')}</p></section>
<section aria-labelledby="h-app" id="applications"><h2 id="h-app">${esc(t('ent.applications'))}</h2>${applicationList}</section>
<section aria-labelledby="h-ren"><h2 id="h-ren">${esc(t('ent.renovation'))}</h2>${renovation}</section>
<section aria-labelledby="h-reg"><h2 id="h-reg">${esc(t('ent.register'))}</h2>${register}</section>`;
    return html(reply, layout(ctx, `${e.name} · ${t('ent.file')}`, body));
  });
}
