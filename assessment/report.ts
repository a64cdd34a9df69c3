/**
 * The assessment as one JSON document and as a simple Chinese HTML report: enterprise, edition,
 * level with its conditions, dimension scores, item table with points and evidence, scene table,
 * flags, gap analysis and the unverified catalogue entries the result rests on.
 */
import type { Evidence, Flag } from './evidence/measure.ts';
import type { GapAnalysis } from './gap.ts';
import type { ScoreResult, Shortfall } from './score.ts';

export interface AssessmentReport extends ScoreResult {
  gap: GapAnalysis;
  evidence: Evidence | null;
  flags: Flag[];
}

const esc = (text: string | number) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const LEVEL_NAMES = ['', '一级', '二级', '三级', '四级'];

function shortfallZh(s: Shortfall, level: number): string {
  if (s.kind === 'points') return `还差 ${s.needed} 分`;
  const star = s.kind === 'constrainingScenes' ? '约束性(★)' : '';
  return `还需 ${s.needed} 个${star}场景达到${LEVEL_NAMES[level]}及以上`;
}

function itemEvidence(r: AssessmentReport, itemId: string): string {
  const e = r.evidence;
  if (!e) return '';
  const figure = [e.networking, e.digitization].find((f) => f?.item === itemId);
  if (figure) {
    return `实测 ${figure.numerator}/${figure.denominator} = ${figure.percent}% ${esc(figure.band.text)}（${esc(e.window.from)} 至 ${esc(e.window.to)}）`;
  }
  if (itemId === 'data-collection' && e.links.length > 0) {
    return `数据自动采集: ${e.links.map((l) => `${esc(l.link)}（${l.tags.map(esc).join(', ')}）`).join('; ')}`;
  }
  return '';
}

export function renderHtml(r: AssessmentReport): string {
  const level = r.level === null ? '未达到一级' : `${esc(r.levelName!)}`;
  const next =
    r.missing.length > 0 ? r.missing.map((s) => shortfallZh(s, (r.level ?? 0) + 1)).join('；') : '';
  const rows = (cells: (string | number)[][]) =>
    cells.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  const items = rows(
    r.items.map((i) => [
      esc(i.name),
      i.type === 'single' ? '单选' : '多选',
      (i.rate ? `${esc(i.rate.numerator)}/${esc(i.rate.denominator)} = ${esc(i.rate.percent)}% → ` : '') +
        (i.chosen.map((o) => esc(o.text)).join('；') || '未选'),
      `${esc(i.points)} / ${esc(i.maxPoints)}`,
      itemEvidence(r, i.id),
    ]),
  );
  const scenes = rows(
    r.scenes.map((s) => [
      esc(s.group),
      esc(s.name) + (s.constraining ? ' ★' : ''),
      s.level,
      esc(s.text ?? '—'),
    ]),
  );
  const flags = r.flags.map((f) => `<li>${esc(f.message)}</li>`).join('\n');
  const gapItems = r.gap.items
    .map(
      (c) =>
        `<li>${esc(c.name)}: ${esc(c.to.text)}（+${esc(c.gain)} 分${c.numeratorNeeded ? `，需达到 ${esc(c.numeratorNeeded)}` : ''}）${c.demonstrable ? '〔可由设备数据证明〕' : ''}</li>`,
    )
    .join('\n');
  const gapScenes = r.gap.scenes
    .map(
      (s) =>
        `<li>${esc(s.scene)}${s.constraining ? ' ★' : ''}: ${s.from} → ${s.to}级（${esc(s.text)}）${s.demonstrable ? '〔可由设备数据证明〕' : ''}</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>数字化水平评测报告 — ${esc(r.enterprise.name)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}.flag{color:#a00}</style>
</head><body>
<h1>中小企业数字化水平评测报告</h1>
<p>企业: ${esc(r.enterprise.name)}${r.enterprise.creditCode ? `（${esc(r.enterprise.creditCode)}）` : ''}<br>
评测指标: ${esc(r.title)}</p>
<h2>评测结果: ${level}</h2>
<p>总分 S = ${esc(r.score)} 分${next ? `；距${LEVEL_NAMES[(r.level ?? 0) + 1]}: ${next}` : ''}</p>
<table><tr><th>维度</th><th>得分</th><th>满分</th></tr>
${rows(r.dimensions.map((d) => [esc(d.name), esc(d.points), esc(d.max)]))}
</table>
<h2>评测题目</h2>
<table><tr><th>题目</th><th>类型</th><th>选项</th><th>得分</th><th>设备数据</th></tr>
${items}
</table>
<h2>数字化经营场景</h2>
<table><tr><th>类别</th><th>场景</th><th>等级</th><th>等级描述</th></tr>
${scenes}
</table>
<h2 class="flag">需评测人员核实</h2>
${flags ? `<ul class="flag">${flags}</ul>` : '<p>无</p>'}
<h2>差距分析${r.gap.target ? `（目标: ${LEVEL_NAMES[r.gap.target]}）` : ''}</h2>
${gapItems ? `<ul>${gapItems}</ul>` : ''}${gapScenes ? `<ul>${gapScenes}</ul>` : ''}${!gapItems && !gapScenes ? '<p>无</p>' : ''}
<h2>未经核实的指标数据</h2>
<ul>${r.unverified.map((u) => `<li>${esc(u.entry)}: ${esc(u.note)}</li>`).join('\n')}</ul>
</body></html>
`;
}
