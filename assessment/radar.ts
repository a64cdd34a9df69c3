/**
 * The radar of the dimensions as inline SVG, so the HTML report and the PDF printed from it show the
 * same chart with no script and no file beside it. Four axes, the four dimensions of the 2024
 * indicators in their official order: 数字化基础, 管理 and 成效 as their points over their maximum
 * (50/30/20), and 数字化经营 — rated by scene levels, not points — as the average level of the 16
 * scenes over 4. A before/after report draws both polygons, the earlier one dashed.
 */
import { Decimal } from 'decimal.js';
import { formatScore } from './score.ts';

export interface RadarAxis {
  name: string;
  /** 0–1, drawn. */
  share: number;
  /** What the axis shows in words, e.g. "40 / 50" or "1.25 / 4". */
  label: string;
}

const SCENES_AXIS = '数字化经营';

/** The axes of one result: dimensions with their points, and the scene levels. */
export function radarAxes(
  dimensions: readonly { name: string; points: string; max: string }[],
  sceneLevels: readonly number[],
): RadarAxis[] {
  const axis = (name: string, value: Decimal, max: string) => ({
    name,
    share: Math.min(1, value.div(max).toNumber()),
    label: `${formatScore(value)} / ${formatScore(max)}`,
  });
  const average = sceneLevels
    .reduce((a, l) => a.plus(l), new Decimal(0))
    .div(Math.max(1, sceneLevels.length));
  const [foundation, ...rest] = dimensions.map((d) => axis(d.name, new Decimal(d.points), d.max));
  return [...(foundation ? [foundation] : []), axis(SCENES_AXIS, average, '4'), ...rest];
}

const WIDTH = 560;
const HEIGHT = 400;
const CX = WIDTH / 2;
const CY = HEIGHT / 2;
const R = 140;
const esc = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function point(i: number, n: number, share: number): [number, number] {
  const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
  return [CX + R * share * Math.cos(angle), CY + R * share * Math.sin(angle)];
}
const polygon = (shares: readonly number[]) =>
  shares
    .map((s, i) =>
      point(i, shares.length, s)
        .map((v) => v.toFixed(1))
        .join(','),
    )
    .join(' ');

/** One polygon per series, the last one solid; labels show the last series' values. */
export function radarSvg(series: readonly { title: string; axes: readonly RadarAxis[] }[]): string {
  const last = series.at(-1);
  if (!last) return '';
  const n = last.axes.length;
  const rings = [0.25, 0.5, 0.75, 1]
    .map((s) => `<polygon points="${polygon(Array(n).fill(s))}" fill="none" stroke="#ccc"/>`)
    .join('');
  const spokes = last.axes
    .map((_, i) => {
      const [x, y] = point(i, n, 1);
      return `<line x1="${CX}" y1="${CY}" x2="${x.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ccc"/>`;
    })
    .join('');
  const shapes = series
    .map((s, k) => {
      const final = k === series.length - 1;
      const style = final
        ? 'fill="rgba(0,90,180,0.25)" stroke="#005ab4" stroke-width="2"'
        : 'fill="none" stroke="#888" stroke-width="2" stroke-dasharray="6 4"';
      return `<polygon points="${polygon(s.axes.map((a) => a.share))}" ${style}><title>${esc(s.title)}</title></polygon>`;
    })
    .join('');
  const labels = last.axes
    .map((a, i) => {
      const [x, y] = point(i, n, 1.08);
      // Left of the centre the text ends at its point, right of it starts there: it stays inside.
      const anchor = Math.abs(x - CX) < 1 ? 'middle' : x < CX ? 'end' : 'start';
      const dy = y < CY - R / 2 ? -4 : y > CY + R / 2 ? 14 : 5;
      return `<text x="${x.toFixed(1)}" y="${(y + dy).toFixed(1)}" text-anchor="${anchor}" font-size="13">${esc(a.name)} ${esc(a.label)}</text>`;
    })
    .join('');
  const legend =
    series.length > 1
      ? series
          .map(
            (s, k) =>
              `<text x="10" y="${18 + 16 * k}" font-size="12">${k === series.length - 1 ? '━' : '┅'} ${esc(s.title)}</text>`,
          )
          .join('')
      : '';
  return `<svg class="radar" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="维度雷达图">${rings}${spokes}${shapes}${labels}${legend}</svg>`;
}
