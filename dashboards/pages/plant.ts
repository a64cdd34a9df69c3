/**
 * The plant pages for factory staff: every machine of a gateway with its live state, the current
 * shift's OEE and its factors, counters, energy per piece and data coverage, refreshed by polling
 * `live.json` (cells and chart options, rendered by the same functions as the page); a device page
 * with its tags' trends. A gateway is shown to whoever sees the enterprise whose file registers it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../platform/accounts/roles.ts';
import { principal } from '../platform/auth.ts';
import type { Db } from '../platform/db/connect.ts';
import { notFound } from '../platform/errors.ts';
import { enterpriseInScope } from '../platform/scope.ts';
import { oeeOptions, stateTimelineOptions, trendOptions } from './charts.ts';
import {
  beijingTime,
  chart,
  esc,
  html,
  layout,
  type PageContext,
  pageContext,
  percent,
  table,
} from './html.ts';
import type { T } from './i18n.ts';
import { type MachineView, type PlantSource, type PlantView, readDevice, readPlant } from './plant-data.ts';
import type { PagesOptions } from './plugin.ts';

const REFRESH_SECONDS = 5;

/** The plant source of a gateway the principal may see; 404 otherwise (as the API answers). */
export async function plantInScope(
  db: Db,
  who: Principal,
  plants: readonly PlantSource[],
  gatewayId: string,
): Promise<PlantSource | null> {
  const gateway = await db
    .selectFrom('gateways')
    .select('enterprise_id')
    .where('id', '=', gatewayId)
    .executeTakeFirst();
  if (!gateway) throw notFound(`gateway ${gatewayId}`);
  await enterpriseInScope(db, who, gateway.enterprise_id);
  return plants.find((p) => p.gatewayId === gatewayId) ?? null;
}

async function withReader<R>(
  source: PlantSource,
  read: (reader: Awaited<ReturnType<PlantSource['open']>>) => Promise<R>,
) {
  const reader = await source.open();
  try {
    return await read(reader);
  } finally {
    await reader.close();
  }
}

const fig = (value: number | undefined) => (value === undefined ? '—' : percent(value));

/**
 * Performance as written, flagged above 100 %: the gateway counts only the shift's own parts against
 * the running time it saw, so a figure above 1 says the ideal cycle time is set too slow (never capped).
 */
export const performanceCell = (value: number | undefined, t: T) =>
  value !== undefined && value > 1 ? `${percent(value)} ${t('plant.aboveIdeal')}` : fig(value);

/** Each machine's cells, keyed for the live refresh: `<device>.<field>` → text. */
export function machineCells(view: PlantView, t: T): Record<string, string> {
  const cells: Record<string, string> = {};
  for (const m of view.machines) {
    const k = (field: string) => `${m.device}.${field}`;
    cells[k('state')] = m.state ? t(`state.${m.state.value}`) : '—';
    cells[k('last')] = m.lastData === null ? t('plant.noData') : beijingTime(m.lastData);
    cells[k('availability')] = fig(m.oee?.figures.availability);
    cells[k('performance')] = performanceCell(m.oee?.figures.performance, t);
    cells[k('quality')] = fig(m.oee?.figures.quality);
    cells[k('oee')] = fig(m.oee?.figures.oee);
    cells[k('counters')] = m.counters.map((c) => `${c.tag} ${c.value}`).join(' · ') || '—';
    cells[k('energy')] = m.energyPerPiece ?? '—';
    cells[k('coverage')] = `${m.coverage.good}/${m.coverage.tags}`;
  }
  return cells;
}

const FIELDS = [
  'state',
  'last',
  'availability',
  'performance',
  'quality',
  'oee',
  'counters',
  'energy',
  'coverage',
];

function liveCharts(view: PlantView, t: T) {
  return {
    'chart-oee': oeeOptions(view.machines, t),
    'chart-states': stateTimelineOptions(view.machines, view.window.from, t),
  };
}

function plantBody(ctx: PageContext, view: PlantView, title: string): string {
  const { t } = ctx;
  const cells = machineCells(view, t);
  const base = `/plant/${encodeURIComponent(view.gatewayId)}`;
  const rows = view.machines.map((m: MachineView) => [
    `<a href="${base}/devices/${encodeURIComponent(m.device)}">${esc(m.device)}</a>`,
    ...FIELDS.map((f) => {
      const key = `${m.device}.${f}`;
      const cls = f === 'state' && m.state ? ` class="state state-${m.state.value}"` : '';
      return `<span data-cell="${esc(key)}"${cls}>${esc(cells[key] ?? '')}</span>`;
    }),
  ]);
  const headers = [
    'plant.machine',
    'plant.state',
    'plant.since',
    'plant.availability',
    'plant.performance',
    'plant.quality',
    'plant.oee',
    'plant.counters',
    'plant.energyPerPiece',
    'plant.coverage',
  ].map((k) => esc(t(k as Parameters<T>[0])));
  const charts = liveCharts(view, t);
  const shifts = view.machines.flatMap((m) =>
    m.shifts.map((s) => [
      esc(m.device),
      esc(beijingTime(s.time)),
      fig(s.figures.availability),
      esc(performanceCell(s.figures.performance, t)),
      fig(s.figures.quality),
      fig(s.figures.oee),
    ]),
  );
  return `<p class="muted">${esc(title)} · <span id="live-status" aria-live="polite">${esc(t('plant.refresh', { s: REFRESH_SECONDS }))}</span></p>
<div id="plant" data-live-url="${esc(`${base}/live.json`)}" data-every="${REFRESH_SECONDS * 1000}">
${table(headers, rows)}
<div class="grid2">
${chart('chart-oee', t('plant.oeeChart'), charts['chart-oee'])}
${chart('chart-states', t('plant.stateTimeline'), charts['chart-states'])}
</div>
</div>
${shifts.length === 0 ? '' : `<h2>${esc(t('plant.shifts'))}</h2>${table([t('plant.machine'), t('as.recordedAt'), t('plant.availability'), t('plant.performance'), t('plant.quality'), 'OEE'].map(esc), shifts)}`}`;
}

export function plantPages(app: FastifyInstance, options: PagesOptions): void {
  const { db, now } = options;
  const plants = options.plants ?? [];
  const source = async (request: FastifyRequest<{ Params: { gateway: string } }>) =>
    plantInScope(db, principal(request), plants, request.params.gateway);
  const none = (ctx: PageContext, reply: FastifyReply) =>
    html(reply, layout(ctx, ctx.t('plant.title'), `<p>${esc(ctx.t('plant.none'))}</p>`));

  app.get<{ Params: { gateway: string } }>('/plant/:gateway', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const found = await source(request);
    if (!found) return none(ctx, reply);
    const view = await withReader(found, (reader) => readPlant(found, reader, now()));
    const title = `${ctx.t('plant.gateway', { id: found.gatewayId })}${found.title ? ` · ${found.title}` : ''}`;
    return html(
      reply,
      layout(ctx, ctx.t('plant.title'), plantBody(ctx, view, title), { charts: true, live: true }),
    );
  });

  app.get<{ Params: { gateway: string } }>('/plant/:gateway/live.json', async (request, reply) => {
    const ctx = pageContext(request, reply);
    const found = await source(request);
    if (!found) throw notFound(`a store of gateway ${request.params.gateway}`);
    const view = await withReader(found, (reader) => readPlant(found, reader, now()));
    reply.header('cache-control', 'no-store');
    return {
      at: now(),
      cells: machineCells(view, ctx.t),
      charts: liveCharts(view, ctx.t),
      machines: view.machines,
    };
  });

  app.get<{ Params: { gateway: string; device: string }; Querystring: { minutes?: string } }>(
    '/plant/:gateway/devices/:device',
    async (request, reply) => {
      const ctx = pageContext(request, reply);
      const { t } = ctx;
      const found = await source(request);
      if (!found) return none(ctx, reply);
      const minutes = Math.min(24 * 60, Math.max(5, Number(request.query.minutes) || 60));
      const to = now() + 60_000;
      const trends = await withReader(found, (reader) =>
        readDevice(found, reader, request.params.device, { from: to - minutes * 60_000, to }),
      );
      if (!trends) throw notFound(`device ${request.params.device}`);
      const latest = table(
        [t('plant.tag'), t('plant.value'), t('plant.unit')].map(esc),
        trends.map((tr) => [esc(tr.tag), esc(String(tr.latest ?? '—')), esc(tr.unit ?? '')]),
      );
      const charts = trends
        .filter((tr) => tr.points.length > 1)
        .map((tr, i) =>
          chart(
            `trend-${i}`,
            `${tr.tag}${tr.unit ? ` (${tr.unit})` : ''}`,
            trendOptions(tr.tag, tr.points),
            200,
          ),
        )
        .join('\n');
      const back = `<p><a href="/plant/${encodeURIComponent(found.gatewayId)}">← ${esc(t('plant.title'))}</a></p>`;
      return html(
        reply,
        layout(
          ctx,
          `${request.params.device} · ${t('plant.trends')}`,
          `${back}${latest}<div class="grid2">${charts}</div>`,
          {
            charts: true,
          },
        ),
      );
    },
  );
}
