/**
 * The assessment as one JSON document and as a simple Chinese HTML report: enterprise, edition,
 * level with its conditions, dimension scores, item table with points and evidence, scene table,
 * flags, gap analysis and the unverified catalogue entries the result rests on.
 */
import type { FindingKind } from '../gateway/attest/findings.ts';
import type { Answers } from './answers.ts';
import type { Catalogue } from './catalogue/load.ts';
import {
  crossCheck,
  type Evidence,
  type Flag,
  type Integrity,
  NOT_COUNTED,
  type NotCountedReason,
  type RateFigure,
  rateBasis,
} from './evidence/measure.ts';
import { analyseGap, type GapAnalysis } from './gap.ts';
import { radarAxes, radarSvg } from './radar.ts';
import type { Comparison } from './records/compare.ts';
import { type AssessmentRecord, STAGE_NAMES } from './records/store.ts';
import { EQUIPMENT_STATUSES, statusName, typeName } from './register/schema.ts';
import { type ScoreResult, type Shortfall, score } from './score.ts';

export interface AssessmentReport extends ScoreResult {
  gap: GapAnalysis;
  evidence: Evidence | null;
  flags: Flag[];
}

/** Checked answers → the whole result: score, gap, evidence and the flags where answers exceed it. */
export function buildReport(
  catalogue: Catalogue,
  answers: Answers,
  evidence: Evidence | null,
): AssessmentReport {
  const result = score(catalogue, answers);
  return {
    ...result,
    gap: analyseGap(catalogue, result),
    evidence,
    flags: evidence ? crossCheck(result, evidence) : [],
  };
}

const esc = (text: string | number) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const LEVEL_NAMES = ['', '一级', '二级', '三级', '四级'];

function shortfallZh(s: Shortfall, level: number): string {
  if (s.kind === 'points') return `还差 ${s.needed} 分`;
  const star = s.kind === 'constrainingScenes' ? '约束性(★)' : '';
  return `还需 ${s.needed} 个${star}场景达到${LEVEL_NAMES[level]}及以上`;
}

/** What the machine data shows for the level-3 text of the four data-backed scenes. */
function sceneSignals(r: AssessmentReport): string {
  if (!r.evidence) return '';
  const rows = r.evidence.sceneSignals
    .map(
      (s) =>
        `<tr><td>${esc(s.scene)}</td><td>${s.tags.length} 个采集点有有效数据</td><td>${s.shown.map(esc).join('<br>') || '—'}</td><td>${esc(s.stillToCheck)}</td></tr>`,
    )
    .join('\n');
  return `<h2>设备数据对三级场景的支撑</h2>
<table><tr><th>场景</th><th>自动采集</th><th>数据所见</th><th>仍需现场核实</th></tr>
${rows}
</table>`;
}

/** Finding kinds of `shugai verify` (gateway/attest/findings.ts) as the report names them. */
const FINDING_ZH: Record<FindingKind, string> = {
  malformed_attestation: '签名记录格式错误',
  bad_signature: '签名无效',
  other_gateway: '其他网关的记录',
  reordered: '签名记录顺序被改',
  fork: '签名链分叉',
  broken_chain: '签名链断裂',
  missing_attestations: '签名记录缺失',
  dropped_by_policy: '网关按缓存策略丢弃',
  clock_jump: '网关时钟回拨',
  deleted: '数据被删除',
  inserted: '数据被插入',
  altered: '数据被改动',
  unattested: '无签名的数据',
  future: '未来时间的数据',
};

/** What a verification against the store alone can and cannot see (gateway/attest/verify.ts `Guarantee`). */
const GUARANTEE_ZH: Record<Integrity['guarantees'][number]['id'], [held: string, notHeld: string]> = {
  points: ['签名范围内数据的删除、插入、改动，以及无签名的数据，均可发现', '签名范围内数据的改动无法核验'],
  head: [
    '窗口开头的数据连同签名记录被删除，可发现：签名链从窗口前最后一条签名记录（或链的第一条）接续核验',
    '窗口开头的删除无法排除：窗口前没有可接续的签名记录',
  ],
  tail: [
    '最新数据连同签名记录被删除，可发现：签名记录取自主管部门的副本',
    '最新数据连同其签名记录一并删除，仅凭本地存储无法发现，须与主管部门保存的签名记录副本（--central）核对',
  ],
};

/** The store checked against the gateway's signed attestations: the verdict, coverage per device. */
function integrity(r: AssessmentReport): string {
  const i = r.evidence?.integrity;
  if (!i) return '';
  const verdict = i.clean
    ? `数据与网关 ${esc(i.gateway)} 的签名记录一致（${i.attestations.valid} 条签名记录）`
    : `发现与签名记录不符之处: ${Object.entries(i.findingCounts)
        .map(([kind, n]) => `${esc(FINDING_ZH[kind as FindingKind] ?? kind)} ${n} 处`)
        .join('，')}`;
  const rows = i.devices
    .map(
      (d) =>
        `<tr><td>${esc(d.device)}</td><td>${d.coveragePercent}%</td><td>${esc(d.firstAttested ?? '—')} 至 ${esc(d.lastAttested ?? '—')}</td><td>${d.gaps}</td><td>${d.unattestedPoints}</td></tr>`,
    )
    .join('\n');
  const findings = i.findings.map((f) => `<li>${esc(f.message)}</li>`).join('\n');
  const flags = i.flags.map((f) => `<li>${esc(f.message)}</li>`).join('\n');
  const guarantees = i.guarantees
    .map((g) => `<li>${g.held ? '可保证' : '不能保证'}: ${esc(GUARANTEE_ZH[g.id][g.held ? 0 : 1])}</li>`)
    .join('\n');
  return `<h2${i.clean ? '' : ' class="flag"'}>数据可信性（网关签名核验）</h2>
<p>${verdict}</p>
<p>本次核验:</p><ul>${guarantees}</ul>
<table><tr><th>设备</th><th>签名覆盖率</th><th>首末签名数据</th><th>缺口</th><th>无签名数据点</th></tr>
${rows}
</table>${findings ? `\n<ul class="flag">${findings}</ul>` : ''}${flags ? `\n<p>数据合理性提示（须人工判断）:</p><ul>${flags}</ul>` : ''}`;
}

function itemEvidence(r: AssessmentReport, itemId: string): string {
  const e = r.evidence;
  if (!e) return '';
  const figure = [e.networking, e.digitization].find((f) => f?.item === itemId);
  if (figure) {
    const d = rateBasis(e);
    const basis =
      d.basis === 'register'
        ? `分母: 设备台账 ${esc(d.file)} 中在用的生产设备`
        : '分母: 网关配置中的生产设备，非设备台账，为上限';
    return `实测 ${figure.numerator}/${figure.denominator} = ${figure.percent}% ${esc(figure.band.text)}（${esc(e.window.from)} 至 ${esc(e.window.to)}；${basis}）`;
  }
  const outcome = e.outcomes.find((o) => o.item === itemId);
  if (outcome) {
    const side = (f: typeof outcome.before) =>
      `${f.value ?? '无产出'}（${esc(f.numerator)}/${esc(f.denominator)}，${esc(f.window.from)} 至 ${esc(f.window.to)}）`;
    const tolerance = outcome.flatWithin === '0' ? '' : `（变化不超过 ${esc(outcome.flatWithin)} 视为持平）`;
    return `实测 ${esc(outcome.measure)}: ${side(outcome.before)} → ${side(outcome.after)}${outcome.option ? `: ${esc(outcome.option.text)}${tolerance}` : ''}`;
  }
  if (itemId === 'data-collection' && e.links.length > 0) {
    return `数据自动采集: ${e.links.map((l) => `${esc(l.link)}（${l.tags.map(esc).join(', ')}）`).join('; ')}`;
  }
  return '';
}

const REASON_ZH: Record<NotCountedReason, string> = {
  [NOT_COUNTED.unmapped]: '未接入网关（网关配置中没有对应设备）',
  [NOT_COUNTED.noSamples]: '窗口内无数据',
  [NOT_COUNTED.onlyBad]: '窗口内只有异常或不确定的数据',
  [NOT_COUNTED.noTags]: '未配置采集点（无数字接口）',
};

/** A table of cells already escaped. */
const table = (head: string[], body: (string | number)[][]) =>
  `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>\n${body
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('\n')}\n</table>`;

/** "金属切削机床 3 台，锻压设备 2 台": units by type, most first. */
function byType(units: RateFigure['notCounted']): string {
  const counts = new Map<string, number>();
  for (const u of units) {
    const type = u.type ? typeName(u.type) : '未分类';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${esc(type)} ${n} 台`)
    .join('，');
}

/** What the rates were divided by: the register with its counts, or the warning that it was the config. */
function equipmentRegister(r: AssessmentReport): string {
  const e = r.evidence;
  if (!e) return '';
  const d = rateBasis(e);
  if (d.basis === 'config') {
    return `<h2 class="flag">设备联网率与数字化率的分母</h2>
<p class="flag">分母为网关配置中的 ${d.devices} 台生产设备，不是企业的设备台账。网关配置之外的生产设备没有计入，故实测比率是设备数据所能证明的上限，企业的实际比率只会更低或相等。请企业提供设备台账，再以 <code>shugai assess --register</code> 测算。</p>`;
  }
  const leftOut = [
    ['非生产设备', d.leftOut.filter((x) => !x.production).length] as const,
    ...EQUIPMENT_STATUSES.map(
      (s) => [s.zh, d.leftOut.filter((x) => x.production && x.status === s.id).length] as const,
    ),
  ]
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${what} ${n} 台`)
    .join('，');
  const lines = [
    `分母: 设备台账 ${esc(d.file)}，共 ${d.entries} 条；计入联网率与数字化率分母的在用生产设备 ${d.inRates} 台${leftOut ? `；未计入 ${d.leftOut.length} 台（${leftOut}，见附表二）` : ''}。`,
  ];
  if (e.networking) {
    const n = e.networking;
    lines.push(
      `联网（窗口内有有效数据）${n.numerator} 台；未联网 ${n.notCounted.length} 台${n.notCounted.length > 0 ? `: ${byType(n.notCounted)}（清单见附表一）` : ''}。`,
    );
  }
  if (e.digitization)
    lines.push(
      `数字化（网关已配置采集点）${e.digitization.numerator} 台；未数字化 ${e.digitization.notCounted.length} 台。`,
    );
  return `<h2>设备台账与设备联网</h2>\n${lines.map((l) => `<p>${l}</p>`).join('\n')}`;
}

/** The register's devices behind the rates, listed after the report: not networked, and left out. */
function annexes(r: AssessmentReport): string {
  const e = r.evidence;
  if (!e) return '';
  const d = rateBasis(e);
  if (d.basis !== 'register') return '';
  const notNetworked = e.networking?.notCounted ?? [];
  const parts: string[] = [];
  if (notNetworked.length > 0) {
    parts.push(`<h2>附表一 未联网的生产设备（${notNetworked.length} 台）</h2>
${table(
  ['序号', '资产编号', '设备名称', '设备类型', '车间', '产线', '网关设备', '原因'],
  notNetworked.map((u, i) => [
    i + 1,
    esc(u.asset ?? ''),
    esc(u.name ?? ''),
    esc(u.type ? typeName(u.type) : ''),
    esc(u.workshop ?? ''),
    esc(u.line ?? ''),
    esc(u.device ?? '—'),
    REASON_ZH[u.reason],
  ]),
)}`);
  }
  if (d.leftOut.length > 0) {
    parts.push(`<h2>附表二 未计入分母的台账设备（${d.leftOut.length} 台）</h2>
${table(
  ['序号', '资产编号', '设备名称', '生产设备', '使用状态'],
  d.leftOut.map((x, i) => [
    i + 1,
    esc(x.asset),
    esc(x.name),
    x.production ? '是' : '否',
    statusName(x.status),
  ]),
)}`);
  }
  return parts.join('\n');
}

/** Where the report comes from when it is a recorded assessment, and what it is compared with. */
export interface ReportContext {
  record?: AssessmentRecord;
  comparison?: Comparison;
}

export function renderHtml(r: AssessmentReport, context: ReportContext = {}): string {
  const { record, comparison } = context;
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
      [itemEvidence(r, i.id), attachmentsOf(record, i.id)].filter(Boolean).join('<br>'),
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
  const flags = r.flags
    .map(
      (f) =>
        `<li>${esc(f.message)}${f.devices?.length ? `（未计入的 ${f.devices.length} 台设备见附表一）` : ''}</li>`,
    )
    .join('\n');
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
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}.sign th{white-space:nowrap}.sign td{min-width:8em;height:2.2em}.flag{color:#a00}</style>
</head><body>
<h1>中小企业数字化水平评测报告</h1>
<p>企业: ${esc(r.enterprise.name)}${r.enterprise.creditCode ? `（${esc(r.enterprise.creditCode)}）` : ''}<br>
评测指标: ${esc(r.title)}</p>
<h2>评测结果: ${level}</h2>
<p>总分 S = ${esc(r.score)} 分${next ? `；距${LEVEL_NAMES[(r.level ?? 0) + 1]}: ${next}` : ''}</p>
<p>${standing(record)}</p>
<table><tr><th>维度</th><th>得分</th><th>满分</th></tr>
${rows(r.dimensions.map((d) => [esc(d.name), esc(d.points), esc(d.max)]))}
</table>
${radar(r, comparison)}
<h2>评测题目</h2>
<table><tr><th>题目</th><th>类型</th><th>选项</th><th>得分</th><th>设备数据</th></tr>
${items}
</table>
<h2>数字化经营场景</h2>
<table><tr><th>类别</th><th>场景</th><th>等级</th><th>等级描述</th></tr>
${scenes}
</table>
${equipmentRegister(r)}
${sceneSignals(r)}
${integrity(r)}
<h2 class="flag">需评测人员核实</h2>
${flags ? `<ul class="flag">${flags}</ul>` : '<p>无</p>'}
<h2>差距分析${r.gap.target ? `（目标: ${LEVEL_NAMES[r.gap.target]}）` : ''}</h2>
${gapItems ? `<ul>${gapItems}</ul>` : ''}${gapScenes ? `<ul>${gapScenes}</ul>` : ''}${!gapItems && !gapScenes ? '<p>无</p>' : ''}
${comparison ? beforeAfter(comparison) : ''}
<h2>未经核实的指标数据</h2>
<ul>${r.unverified.map((u) => `<li>${esc(u.entry)}: ${esc(u.note)}</li>`).join('\n')}</ul>
${signatures(record)}
${annexes(r)}
</body></html>
`;
}

const levelZh = (level: number | null) => (level === null ? '未达到一级' : LEVEL_NAMES[level]!);
const signed = (n: number | string) => (Number(n) > 0 ? `+${n}` : String(n));

/** Only a validated record carries the official level; everything else says it is not one. */
function standing(record: AssessmentRecord | undefined): string {
  if (!record) return '评测阶段: 未登记（本结果不是正式等级）';
  const where = `评测编号 ${esc(record.id)} 第 ${record.version} 版`;
  if (record.validation)
    return `${where}；评测阶段: ${STAGE_NAMES.validated}；正式等级: ${levelZh(record.officialLevel)}`;
  return `${where}；评测阶段: ${STAGE_NAMES[record.stage]}（未经审核，本结果不是正式等级）`;
}

function attachmentsOf(record: AssessmentRecord | undefined, itemId: string): string {
  return (record?.attachments ?? [])
    .filter((a) => a.item === itemId)
    .map(
      (a) =>
        `附件: ${esc(a.file)}（${esc(a.description)}；生效日期 ${esc(a.effectiveDate)}；上传 ${esc(a.uploadedAt)}；sha256 ${esc(a.sha256.slice(0, 16))}…）`,
    )
    .join('<br>');
}

function radar(r: AssessmentReport, comparison: Comparison | undefined): string {
  const after = {
    title: '本次评测',
    axes: radarAxes(
      r.dimensions,
      r.scenes.map((s) => s.level),
    ),
  };
  if (!comparison) return radarSvg([after]);
  const dimensions = r.dimensions.map((d) => ({
    ...d,
    points: comparison.dimensions.find((c) => c.id === d.id)?.before ?? '0',
  }));
  const before = {
    title: `对比基准 ${comparison.before.id} 第 ${comparison.before.version} 版`,
    axes: radarAxes(
      dimensions,
      comparison.scenes.map((s) => s.before),
    ),
  };
  return radarSvg([before, after]);
}

function beforeAfter(c: Comparison): string {
  const side = (s: Comparison['before']) =>
    `${esc(s.id)} 第 ${s.version} 版（${esc(s.validatedBy)} 审核于 ${esc(s.validatedAt)}）: S = ${esc(s.score)} 分，${levelZh(s.level)}`;
  return `<h2>评测前后对比</h2>
<p>评测前: ${side(c.before)}<br>评测后: ${side(c.after)}<br>
总分变化: ${esc(signed(c.score.delta))} 分；等级变化: ${levelZh(c.level.before)} → ${levelZh(c.level.after)}（${signed(c.level.change)}）</p>
${table(
  ['维度', '评测前', '评测后', '变化'],
  c.dimensions.map((d) => [esc(d.name), esc(d.before), esc(d.after), esc(signed(d.delta))]),
)}
${table(
  ['题目', '评测前', '评测后', '变化'],
  c.items.map((i) => [esc(i.name), esc(i.before), esc(i.after), esc(signed(i.delta))]),
)}
${table(
  ['场景', '评测前等级', '评测后等级', '变化'],
  c.scenes.map((s) => [esc(s.name) + (s.constraining ? ' ★' : ''), s.before, s.after, signed(s.change)]),
)}`;
}

/** Names and dates known from the record are printed; the lines stay open for the handwritten signatures. */
function signatures(record: AssessmentRecord | undefined): string {
  const day = (iso: string | undefined) => (iso ? esc(iso.slice(0, 10)) : '');
  const row = (role: string, name: string | undefined, date: string) =>
    `<tr><th>${role}</th><td>${esc(name ?? '')}</td><th>签字</th><td></td><th>日期</th><td>${date}</td></tr>`;
  return `<h2>签字</h2>
<table class="sign">
${row('评测人员', record?.assessor, record?.assessor ? day(record.recordedAt) : '')}
${row('审核人员', record?.validation?.by, day(record?.validation?.at))}
${row('企业负责人', undefined, '')}
</table>`;
}
