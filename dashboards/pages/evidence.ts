/**
 * Machine evidence as the pages show it, in one place for the bureau's verification panel and the
 * assessor's questionnaire: a rate measured against the register, the business links collected, the
 * level-3 signals of a scene, and the answers the data contradicts, each with the gateway and window
 * it was measured by.
 */
import type { Flag, LinkFigure, RateFigure } from '../../assessment/evidence/measure.ts';
import { windowZh } from '../../assessment/evidence/measure.ts';
import { spanZh } from '../../assessment/report.ts';
import type { GatewayEvidence } from '../platform/verifications/compute.ts';
import { esc, type PageContext } from './html.ts';

/** A rate as measured: `1/2 = 50% (40%,60%]`. */
export const measuredRate = (f: RateFigure) =>
  `${f.numerator}/${f.denominator} = ${f.percent}% ${f.band.text}`;

/** A business link collected: its name, how many devices and tags delivered good data, and when. */
export const linkLine = (ctx: PageContext, l: LinkFigure) =>
  `${esc(l.link)}：${esc(ctx.t('bu.linkTags', { devices: new Set(l.tags.map((x) => x.split('/')[0])).size, tags: l.tags.length }))}${l.from ? `，${esc(spanZh(l.from, l.to))}` : ''}`;

/** A contradiction in the reader's language (Chinese unless English is chosen; older records have English only). */
export const flagText = (ctx: PageContext, f: Pick<Flag, 'message' | 'zh'>) =>
  ctx.lang === 'en' ? f.message : (f.zh ?? f.message);

/** The verdict of an item against the data: answered above it (marked), or agreeing. */
export const verdictMark = (ctx: PageContext, item: string, contradicted: boolean) =>
  contradicted
    ? `<strong class="flag" data-contradiction="${esc(item)}">${esc(ctx.t('bu.contradicts'))}</strong>`
    : `<span class="ok">${esc(ctx.t('bu.agrees'))}</span>`;

/**
 * What the gateways measured for one questionnaire item or scene, to put beside it: the rate, the
 * links, or the scene's signals, each with its gateway, and the contradiction with the answer given.
 * Empty when no gateway measures anything for it.
 */
export function evidenceBeside(
  ctx: PageContext,
  gateways: readonly GatewayEvidence[],
  target: { item: string } | { scene: string },
): string {
  const { t } = ctx;
  const lines: string[] = [];
  for (const g of gateways) {
    if ('unavailable' in g) continue;
    const m = g.measured;
    const by = t('as.ev.by', { gateway: g.gateway, window: windowZh(m.window) });
    if ('item' in target) {
      const contradiction = g.contradictions.find((c: Flag) => c.item === target.item);
      const rate = [m.networking, m.digitization].find((f) => f?.item === target.item);
      if (rate)
        lines.push(
          `<p><span data-measured="${esc(target.item)}">${esc(t('as.ev.rate', { figure: measuredRate(rate) }))}</span> <span class="muted">${esc(by)}</span>${contradiction ? ` ${verdictMark(ctx, target.item, true)}` : ''}</p>`,
        );
      else if (target.item === 'data-collection')
        lines.push(
          m.links.length === 0
            ? `<p data-measured="${esc(target.item)}">${esc(t('as.ev.noLinks'))} <span class="muted">${esc(by)}</span></p>`
            : `<p>${esc(t('as.ev.links'))} <span class="muted">${esc(by)}</span></p><ul data-measured="${esc(target.item)}">${m.links.map((l) => `<li>${linkLine(ctx, l)}</li>`).join('')}</ul>`,
        );
      if (contradiction) lines.push(`<p class="flag">${esc(flagText(ctx, contradiction))}</p>`);
    } else {
      const signal = m.sceneSignals.find((s) => s.scene === target.scene);
      if (!signal) continue;
      const shown = [t('as.ev.sceneTags', { tags: signal.tags.length }), ...signal.shown].join('；');
      lines.push(
        `<p><span data-measured="${esc(target.scene)}">${esc(t('as.ev.scene', { shown }))}</span> <span class="muted">${esc(by)}</span></p><p class="muted">${esc(t('as.ev.stillToCheck', { what: signal.stillToCheck }))}</p>`,
      );
    }
  }
  return lines.length === 0 ? '' : `<div class="measured">${lines.join('')}</div>`;
}

/** Above the questionnaire: which gateways measured, over which window, or plainly that none did. */
export function evidenceSummary(
  ctx: PageContext,
  gateways: readonly GatewayEvidence[],
  window: { from: number; to: number },
): string {
  const { t } = ctx;
  const span = windowZh({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() });
  const body =
    gateways.length === 0
      ? `<p class="notice" id="evidence-none">${esc(t('as.ev.none'))}</p>`
      : `<p>${esc(t('as.ev.intro', { window: span }))}</p><ul>${gateways
          .map((g) =>
            'unavailable' in g
              ? `<li class="flag" data-gateway="${esc(g.gateway)}">${esc(t('bu.evidence.unavailable', { gateway: g.gateway, why: g.unavailable }))}</li>`
              : `<li data-gateway="${esc(g.gateway)}">${esc(t('as.ev.gateway', { gateway: g.gateway, store: g.store, contradictions: g.contradictions.length }))}</li>`,
          )
          .join('')}</ul>`;
  return `<section aria-labelledby="h-measured" id="measured"><h2 id="h-measured">${esc(t('as.ev.title'))}</h2>${body}</section>`;
}
