/**
 * The assessment as one JSON document and as the Chinese HTML report an assessor hands over (printed
 * to A4 PDF by pdf.ts): page 1 with the enterprise, organisation, window, report date and the data
 * verdict; dimension scores and radar, item table with points and evidence summarised, scene table,
 * flags, gap analysis, the unverified catalogue entries the result rests on, signatures and annexes.
 * Times in Beijing time, points through formatScore.
 */
import { Decimal } from 'decimal.js';
import { beijingDate, beijingMinute } from '../core/time.ts';
import type { FindingKind } from '../gateway/attest/findings.ts';
import type { PlausibilityFlag } from '../gateway/attest/plausibility.ts';
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
  windowZh,
} from './evidence/measure.ts';
import { analyseGap, type GapAnalysis } from './gap.ts';
import { radarAxes, radarSvg } from './radar.ts';
import type { Comparison } from './records/compare.ts';
import { type AssessmentRecord, STAGE_NAMES } from './records/store.ts';
import { EQUIPMENT_STATUSES, statusName, typeName } from './register/schema.ts';
import { formatScore, type ScoreResult, type Shortfall, score } from './score.ts';

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
  if (s.kind === 'points') return `还差 ${formatScore(s.needed)} 分`;
  const star = s.kind === 'constrainingScenes' ? '约束性(★)' : '';
  return `还需 ${s.needed} 个${star}场景达到${LEVEL_NAMES[level]}及以上`;
}

/** What the machine data shows for the level-3 text of the four data-backed scenes. */
function sceneSignals(r: AssessmentReport): string {
  if (!r.evidence) return '';
  const rows = r.evidence.sceneSignals.map((s) => [
    esc(s.scene),
    `${s.tags.length} 个采集点有有效数据`,
    s.shown.map(esc).join('<br>') || '—',
    esc(s.stillToCheck),
  ]);
  return `<h2>设备数据对三级场景的支撑</h2>
${table(['场景', '自动采集', '数据所见', '仍需现场核实'], rows, ['14%', '22%', '26%', '38%'])}`;
}

/** Finding kinds of `shugai verify` (gateway/attest/findings.ts) as the report names them, and what each means. */
export const FINDING_ZH: Record<FindingKind, [name: string, meaning: string]> = {
  malformed_attestation: ['签名记录格式错误', '存储中的签名记录无法解析'],
  bad_signature: ['签名无效', '签名记录不是登记的网关密钥所签：伪造、被改动或来自其他网关'],
  other_gateway: [
    '其他网关的记录',
    '存储中有其他网关的签名记录，本次未核验（其他网关的数据，或被放入本网关的存储）',
  ],
  reordered: ['签名记录顺序被改', '签名记录的存储顺序与序号不符'],
  fork: ['签名链分叉', '两条不同的签名记录使用同一序号'],
  broken_chain: ['签名链断裂', '签名记录未接续前一条记录的哈希'],
  missing_attestations: ['签名记录缺失', '部分签名记录不在存储中：已被删除，或网关停机时间更长'],
  dropped_by_policy: ['网关按缓存策略丢弃', '网关自行声明按缓存策略丢弃了部分数据（不属篡改）'],
  clock_jump: ['网关时钟回拨', '相邻签名记录之间网关时钟倒退'],
  deleted: ['数据被删除', '已签名的数据点在存储中缺失'],
  undelivered: [
    '数据尚未送达存储',
    '局方副本中已签名、晚于存储中最新签名记录的数据点不在存储中：网关写入该存储的通道滞后或中断，或连同签名记录被删除；网关送达后请重新核验',
  ],
  inserted: ['数据被插入', '存储中的数据点多于签名记录所载'],
  altered: ['数据被改动', '数据点齐全，但数值与签名记录不符'],
  unattested: ['无签名的数据', '存储中有数据点没有任何签名记录覆盖（人工录入或由其他程序写入）'],
  future: ['未来时间的数据', '数据点的时间晚于接收时间或当前时间'],
};
const findingName = (kind: string) => FINDING_ZH[kind as FindingKind]?.[0] ?? kind;

/** Plausibility flags of the verification (gateway/attest/plausibility.ts): signs, not verdicts. */
export const PLAUSIBILITY_ZH: Record<PlausibilityFlag['kind'], string> = {
  constant: '机器生产期间，数值一小时以上保持完全不变',
  periodic: '一段时间内的数值按顺序重复此前发送过的序列（疑为回放录制的数据）',
  ramp: '数值以完全恒定的速率变化一小时以上（疑为生成的直线）',
  never_reset: '声明每班清零的计数器超过一天未清零',
  reported_while_offline:
    '数据点的时间落在网关长时间没有签名记录的时段内（网关离线：事后从缓存补发，或时间被倒填）',
};

/** What a verification against the store alone can and cannot see (gateway/attest/verify.ts `Guarantee`). */
export const GUARANTEE_ZH: Record<Integrity['guarantees'][number]['id'], [held: string, notHeld: string]> = {
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

const findingCounts = (i: Integrity) =>
  Object.entries(i.findingCounts)
    .map(([kind, n]) => `${esc(findingName(kind))} ${n} 处`)
    .join('，');

/** A span in Beijing time: one minute, or from … to …. */
export function spanZh(from: string | undefined, to: string | undefined): string {
  if (!from) return '';
  return !to || beijingMinute(from) === beijingMinute(to)
    ? `${beijingMinute(from)} 北京时间`
    : windowZh({ from, to });
}

/**
 * The integrity verdict for page 1, and whether the data confirms the level: null when the data was
 * not verified (no --pubkey) or not used at all.
 */
function integrityVerdict(r: AssessmentReport): { html: string; confirmed: boolean | null } {
  const box = (kind: string, title: string, lines: string[]) =>
    `<div class="verdict ${kind}"><p class="verdict-title">${title}</p>${lines.map((l) => `<p>${l}</p>`).join('')}</div>`;
  if (!r.evidence)
    return {
      html: box('none', '设备数据：未使用', ['本结果仅依据填报，未以设备数据核对。']),
      confirmed: null,
    };
  const i = r.evidence.integrity;
  if (!i)
    return {
      html: box('none', '数据完整性核验：未进行', [
        '未提供网关登记的公钥（--pubkey），设备数据未与网关签名记录核对，实测值的真实性未经核验。',
      ]),
      confirmed: null,
    };
  const attestations = `网关 ${esc(i.gateway)} 的有效签名记录 ${i.attestations.valid} 条`;
  if (i.clean) {
    const tail = i.guarantees.find((g) => g.id === 'tail' && !g.held);
    return {
      html: box('pass', '数据完整性核验：通过', [
        `设备数据与${attestations}一致。`,
        ...(tail ? [`注意: ${esc(GUARANTEE_ZH.tail[1])}。`] : []),
      ]),
      confirmed: true,
    };
  }
  const total = Object.values(i.findingCounts).reduce((a, n) => a + n, 0);
  return {
    html: box('fail', '数据完整性核验：未通过', [
      `设备数据与签名记录不符之处共 ${total} 处: ${findingCounts(i)}（${attestations}）。`,
      '本报告的等级未经设备数据证实：以设备数据为据的实测值（联网率、数字化率、业务环节数据采集等）不可采信，须查明原因后重新核验。详见“数据可信性（网关签名核验）”一节。',
    ]),
    confirmed: false,
  };
}

/** The store checked against the gateway's signed attestations: the verdict, coverage per device. */
function integrity(r: AssessmentReport): string {
  const i = r.evidence?.integrity;
  if (!i) return '';
  const verdict = i.clean
    ? `数据与网关 ${esc(i.gateway)} 的签名记录一致（${i.attestations.valid} 条签名记录）`
    : `发现与签名记录不符之处: ${findingCounts(i)}`;
  const devices = table(
    ['设备', '签名覆盖率', '首末签名数据', '缺口', '无签名数据点'],
    i.devices.map((d) => [
      esc(d.device),
      `${d.coveragePercent}%`,
      d.firstAttested ? spanZh(d.firstAttested, d.lastAttested) : '—',
      d.gaps,
      d.unattestedPoints,
    ]),
    ['20%', '14%', '40%', '10%', '16%'],
  );
  const shown = Object.values(i.findingCounts).reduce((a, n) => a + n, 0);
  const findings = i.findings
    .map((f) => {
      const [name, meaning] = FINDING_ZH[f.kind as FindingKind] ?? [f.kind, ''];
      const where = [f.device ? esc(f.device) : '', spanZh(f.from ?? f.at, f.to)].filter(Boolean).join('，');
      return `<li>${esc(name)}${where ? `（${where}）` : ''}${meaning ? `: ${esc(meaning)}` : ''}</li>`;
    })
    .join('\n');
  const flags = i.flags
    .map(
      (f) =>
        `<li>${esc(f.device)}${f.tag ? `/${esc(f.tag)}` : ''}: ${esc(PLAUSIBILITY_ZH[f.kind] ?? f.kind)}</li>`,
    )
    .join('\n');
  const guarantees = i.guarantees
    .map((g) => `<li>${g.held ? '可保证' : '不能保证'}: ${esc(GUARANTEE_ZH[g.id][g.held ? 0 : 1])}</li>`)
    .join('\n');
  return `<h2${i.clean ? '' : ' class="flag"'}>数据可信性（网关签名核验）</h2>
<p>${verdict}</p>
<p>本次核验:</p><ul>${guarantees}</ul>
${devices}${findings ? `\n<p class="flag">发现的问题${shown > i.findings.length ? `（列出前 ${i.findings.length} 处，共 ${shown} 处）` : ''}:</p><ul class="flag">${findings}</ul>` : ''}${flags ? `\n<p>数据合理性提示（须人工判断）:</p><ul>${flags}</ul>` : ''}`;
}

/** `device/tag` ids grouped by device, in first-seen order. */
function byDevice(tags: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of tags) {
    const [device, tag] = t.split('/') as [string, string];
    out.set(device, [...(out.get(device) ?? []), tag]);
  }
  return out;
}

/** The business links with automatic collection, summarised: devices, tags and the span of their data. */
function linksSummary(links: Evidence['links'], annex: string | undefined): string {
  const lines = links.map(
    (l) =>
      `${esc(l.link)}: ${byDevice(l.tags).size} 台设备 ${l.tags.length} 个采集点${l.from ? `，${spanZh(l.from, l.to)}` : ''}`,
  );
  return `数据自动采集（${links.length} 个业务环节${annex ? `，采集点清单见${annex}` : ''}）:<br>${lines.join('<br>')}`;
}

function itemEvidence(r: AssessmentReport, itemId: string, annexes: Annexes): string {
  const e = r.evidence;
  if (!e) return '';
  const figure = [e.networking, e.digitization].find((f) => f?.item === itemId);
  if (figure) {
    const d = rateBasis(e);
    const basis =
      d.basis === 'register'
        ? `分母: 设备台账 ${esc(d.file)} 中在用的生产设备`
        : '分母: 网关配置中的生产设备，非设备台账，为上限';
    return `实测 ${figure.numerator}/${figure.denominator} = ${figure.percent}% ${esc(figure.band.text)}（${windowZh(e.window)}；${basis}）`;
  }
  const outcome = e.outcomes.find((o) => o.item === itemId);
  if (outcome) {
    const side = (f: typeof outcome.before) =>
      `${f.value ?? '无产出'}（${esc(f.numerator)}/${esc(f.denominator)}，${windowZh(f.window)}）`;
    const tolerance = outcome.flatWithin === '0' ? '' : `（变化不超过 ${esc(outcome.flatWithin)} 视为持平）`;
    return `实测 ${esc(outcome.measure)}: ${side(outcome.before)} → ${side(outcome.after)}${outcome.option ? `: ${esc(outcome.option.text)}${tolerance}` : ''}`;
  }
  if (itemId === 'data-collection' && e.links.length > 0) return linksSummary(e.links, annexes.links);
  return '';
}

const REASON_ZH: Record<NotCountedReason, string> = {
  [NOT_COUNTED.unmapped]: '未接入网关（网关配置中没有对应设备）',
  [NOT_COUNTED.noSamples]: '窗口内无数据',
  [NOT_COUNTED.onlyBad]: '窗口内只有异常或不确定的数据',
  [NOT_COUNTED.noTags]: '未配置采集点（无数字接口）',
};

/** A table of cells already escaped; `widths` fix the columns (table-layout: fixed). */
function table(head: string[], body: (string | number)[][], widths?: string[]): string {
  const cols = widths ? `<colgroup>${widths.map((w) => `<col style="width:${w}">`).join('')}</colgroup>` : '';
  // The head in <thead>: printed again at the top of each page the table runs onto.
  return `<table${widths ? ' class="fixed"' : ''}>${cols}<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>\n${body
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('\n')}\n</table>`;
}

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
function equipmentRegister(r: AssessmentReport, annexes: Annexes): string {
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
    `分母: 设备台账 ${esc(d.file)}，共 ${d.entries} 条；计入联网率与数字化率分母的在用生产设备 ${d.inRates} 台${leftOut ? `；未计入 ${d.leftOut.length} 台（${leftOut}，见${annexes.leftOut}）` : ''}。`,
  ];
  if (e.networking) {
    const n = e.networking;
    lines.push(
      `联网（窗口内有有效数据）${n.numerator} 台；未联网 ${n.notCounted.length} 台${n.notCounted.length > 0 ? `: ${byType(n.notCounted)}（清单见${annexes.notNetworked}）` : ''}。`,
    );
  }
  if (e.digitization)
    lines.push(
      `数字化（网关已配置采集点）${e.digitization.numerator} 台；未数字化 ${e.digitization.notCounted.length} 台。`,
    );
  return `<h2>设备台账与设备联网</h2>\n${lines.map((l) => `<p>${l}</p>`).join('\n')}`;
}

/** The annexes after the signatures, numbered in the order they appear; a key is absent when its annex is. */
interface Annexes {
  notNetworked?: string;
  leftOut?: string;
  links?: string;
}
const NUMERALS = ['一', '二', '三', '四', '五'];

function annexesOf(r: AssessmentReport): Annexes {
  const e = r.evidence;
  if (!e) return {};
  const d = rateBasis(e);
  const present: [keyof Annexes, boolean][] = [
    ['notNetworked', d.basis === 'register' && (e.networking?.notCounted.length ?? 0) > 0],
    ['leftOut', d.basis === 'register' && d.leftOut.length > 0],
    ['links', e.links.length > 0],
  ];
  const out: Annexes = {};
  for (const [key] of present.filter(([, shown]) => shown))
    out[key] = `附表${NUMERALS[Object.keys(out).length]}`;
  return out;
}

/** The lists behind the summaries, after the report: devices not networked, left out, and every tag per link. */
function annexes(r: AssessmentReport, names: Annexes): string {
  const e = r.evidence;
  if (!e) return '';
  const d = rateBasis(e);
  const parts: string[] = [];
  if (names.notNetworked) {
    const notNetworked = e.networking?.notCounted ?? [];
    parts.push(`<h2>${names.notNetworked} 未联网的生产设备（${notNetworked.length} 台）</h2>
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
  if (names.leftOut && d.basis === 'register') {
    parts.push(`<h2>${names.leftOut} 未计入分母的台账设备（${d.leftOut.length} 台）</h2>
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
  if (names.links) {
    const rows = e.links.flatMap((l) =>
      [...byDevice(l.tags)].map(([device, tags]) => [
        esc(l.link),
        esc(device),
        tags.length,
        tags.map(esc).join('、'),
      ]),
    );
    parts.push(`<h2>${names.links} 各业务环节自动采集的采集点（${windowZh(e.window)}，窗口内有有效数据）</h2>
${table(['业务环节', '设备', '采集点数', '采集点'], rows, ['14%', '18%', '10%', '58%'])}`);
  }
  return parts.join('\n');
}

/** Where the report comes from when it is a recorded assessment, and what it is compared with. */
export interface ReportContext {
  record?: AssessmentRecord;
  comparison?: Comparison;
  /** The assessing organisation (评测机构); else the answers' `organisation`. */
  organisation?: string;
  /** When the report is issued (报告日期); now when not given. */
  issuedAt?: Date;
}

const REPORT_TITLE = '中小企业数字化水平评测报告';

/** A CSS string: quotes and backslashes escaped, and nothing that could close the style element. */
const cssString = (text: string) =>
  `"${text.replace(/[\\"<>\n\r]/g, (ch) => `\\${ch.charCodeAt(0).toString(16)} `)}"`;

/**
 * A4 with a running header (enterprise, title) and 第 N 页 共 M 页 in the footer, as CSS paged media
 * (Chromium prints @page margin boxes), so a browser's print of the HTML gives the same pages. Fixed
 * table layout: a column gets the width it is given, and long ids break instead of squeezing others.
 */
function styles(enterprise: string): string {
  return `@page{size:A4;margin:20mm 15mm 18mm;
@top-left{content:${cssString(enterprise)};font-size:9pt;color:#555;vertical-align:bottom}
@top-right{content:${cssString(REPORT_TITLE)};font-size:9pt;color:#555;vertical-align:bottom}
@bottom-center{content:"第 " counter(page) " 页 共 " counter(pages) " 页";font-size:9pt;color:#555}}
@media screen{body{margin:2em auto;max-width:180mm}}
body{font-family:sans-serif;font-size:10.5pt;line-height:1.5}
h1{font-size:18pt;text-align:center}h2{font-size:13pt;margin-top:1.2em;break-after:avoid}
table{border-collapse:collapse;width:100%;margin:.4em 0}table.fixed{table-layout:fixed}
td,th{border:1px solid #999;padding:3px 6px;vertical-align:top;text-align:left;word-break:normal;overflow-wrap:anywhere;line-break:strict}
tr{break-inside:avoid}
table.facts th{width:9em;background:#f3f3f3}
.verdict{border:2px solid;padding:.3em .8em;margin:.8em 0;break-inside:avoid}.verdict p{margin:.3em 0}
.verdict-title{font-size:13pt;font-weight:bold}
.verdict.fail{border-color:#a00;color:#a00;background:#fff3f3}.verdict.pass{border-color:#070}.verdict.none{border-color:#999}
.sign th{white-space:nowrap}.sign td{height:2.2em}.flag{color:#a00}
svg.radar{display:block;margin:0 auto;width:auto;height:80mm}`;
}

export function renderHtml(r: AssessmentReport, context: ReportContext = {}): string {
  const { record, comparison } = context;
  const organisation = context.organisation ?? r.organisation;
  const { html: verdict, confirmed } = integrityVerdict(r);
  const level =
    (r.level === null ? '未达到一级' : `${esc(r.levelName!)}`) +
    (confirmed === false ? '（未经设备数据证实）' : '');
  const next =
    r.missing.length > 0 ? r.missing.map((s) => shortfallZh(s, (r.level ?? 0) + 1)).join('；') : '';
  const names = annexesOf(r);
  const items = table(
    ['题目', '类型', '选项', '得分', '设备数据'],
    r.items.map((i) => [
      esc(i.name),
      i.type === 'single' ? '单选' : '多选',
      (i.rate ? `${esc(i.rate.numerator)}/${esc(i.rate.denominator)} = ${esc(i.rate.percent)}% → ` : '') +
        (i.chosen.map((o) => esc(o.text)).join('；') || '未选'),
      `${formatScore(i.points)} / ${formatScore(i.maxPoints)}`,
      [itemEvidence(r, i.id, names), attachmentsOf(record, i.id)].filter(Boolean).join('<br>'),
    ]),
    ['19%', '7%', '26%', '10%', '38%'],
  );
  const scenes = table(
    ['类别', '场景', '等级', '等级描述'],
    r.scenes.map((s) => [
      esc(s.group),
      esc(s.name) + (s.constraining ? ' ★' : ''),
      s.level,
      esc(s.text ?? '—'),
    ]),
    ['19%', '16%', '7%', '58%'],
  );
  const flags = r.flags
    .map(
      (f) =>
        `<li>${esc(f.zh ?? f.message)}${f.devices?.length && names.notNetworked ? `（未计入的 ${f.devices.length} 台设备见${names.notNetworked}）` : ''}</li>`,
    )
    .join('\n');
  const gapItems = r.gap.items
    .map(
      (c) =>
        `<li>${esc(c.name)}: ${esc(c.to.text)}（+${formatScore(c.gain)} 分${c.numeratorNeeded ? `，需达到 ${esc(c.numeratorNeeded)}` : ''}）${c.demonstrable ? '〔可由设备数据证明〕' : ''}</li>`,
    )
    .join('\n');
  const gapScenes = r.gap.scenes
    .map(
      (s) =>
        `<li>${esc(s.scene)}${s.constraining ? ' ★' : ''}: ${s.from} → ${s.to}级（${esc(s.text)}）${s.demonstrable ? '〔可由设备数据证明〕' : ''}</li>`,
    )
    .join('\n');
  const facts = [
    [
      '企业名称',
      `${esc(r.enterprise.name)}${r.enterprise.creditCode ? `（统一社会信用代码 ${esc(r.enterprise.creditCode)}）` : ''}`,
    ],
    ['评测指标', esc(r.title)],
    ['评测机构', organisation ? esc(organisation) : '（未填写）'],
    ['评测窗口', r.evidence ? windowZh(r.evidence.window) : '未使用设备数据'],
    ['报告日期', `${beijingMinute((context.issuedAt ?? new Date()).getTime())} 北京时间`],
    ['评测阶段', standing(record)],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>数字化水平评测报告 — ${esc(r.enterprise.name)}</title>
<style>${styles(r.enterprise.name)}</style>
</head><body>
<h1>${REPORT_TITLE}</h1>
<table class="facts">
${facts}
</table>
${verdict}
<h2>评测结果: ${level}</h2>
<p>总分 S = ${formatScore(r.score)} 分${next ? `；距${LEVEL_NAMES[(r.level ?? 0) + 1]}: ${next}` : ''}</p>
${table(
  ['维度', '得分', '满分'],
  r.dimensions.map((d) => [esc(d.name), formatScore(d.points), formatScore(d.max)]),
)}
${radar(r, comparison)}
<h2>评测题目</h2>
${items}
<h2>数字化经营场景</h2>
${scenes}
${equipmentRegister(r, names)}
${sceneSignals(r)}
${integrity(r)}
<h2 class="flag">需评测人员核实</h2>
${flags ? `<ul class="flag">${flags}</ul>` : '<p>无</p>'}
<h2>差距分析${r.gap.target ? `（目标: ${LEVEL_NAMES[r.gap.target]}）` : ''}</h2>
${gapItems ? `<ul>${gapItems}</ul>` : ''}${gapScenes ? `<ul>${gapScenes}</ul>` : ''}${!gapItems && !gapScenes ? '<p>无</p>' : ''}
${comparison ? beforeAfter(comparison) : ''}
<h2>未经核实的指标数据</h2>
<ul>${r.unverified.map((u) => `<li>${esc(u.name ?? u.entry)}: ${esc(u.noteZh ?? u.note)}</li>`).join('\n')}</ul>
${signatures(record)}
${annexes(r, names)}
</body></html>
`;
}

const levelZh = (level: number | null) => (level === null ? '未达到一级' : LEVEL_NAMES[level]!);
const signed = (n: number | string) => (new Decimal(n).gt(0) ? `+${formatScore(n)}` : formatScore(n));

/** Only a validated record carries the official level; everything else says it is not one. */
function standing(record: AssessmentRecord | undefined): string {
  if (!record) return '未登记（本结果不是正式等级）';
  const where = `评测编号 ${esc(record.id)} 第 ${record.version} 版`;
  if (record.validation)
    return `${STAGE_NAMES.validated}；${where}；正式等级: ${levelZh(record.officialLevel)}`;
  return `${STAGE_NAMES[record.stage]}（未经审核，本结果不是正式等级）；${where}`;
}

function attachmentsOf(record: AssessmentRecord | undefined, itemId: string): string {
  return (record?.attachments ?? [])
    .filter((a) => a.item === itemId)
    .map(
      (a) =>
        `附件: ${esc(a.file)}（${esc(a.description)}；生效日期 ${esc(a.effectiveDate)}；上传于 ${beijingMinute(a.uploadedAt)} 北京时间；sha256 ${esc(a.sha256.slice(0, 16))}…）`,
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
    `${esc(s.id)} 第 ${s.version} 版（${esc(s.validatedBy)} 审核于 ${beijingMinute(s.validatedAt)} 北京时间）: S = ${formatScore(s.score)} 分，${levelZh(s.level)}`;
  return `<h2>评测前后对比</h2>
<p>评测前: ${side(c.before)}<br>评测后: ${side(c.after)}<br>
总分变化: ${esc(signed(c.score.delta))} 分；等级变化: ${levelZh(c.level.before)} → ${levelZh(c.level.after)}（${signed(c.level.change)}）</p>
${table(
  ['维度', '评测前', '评测后', '变化'],
  c.dimensions.map((d) => [esc(d.name), formatScore(d.before), formatScore(d.after), esc(signed(d.delta))]),
)}
${table(
  ['题目', '评测前', '评测后', '变化'],
  c.items.map((i) => [esc(i.name), formatScore(i.before), formatScore(i.after), esc(signed(i.delta))]),
  ['40%', '20%', '20%', '20%'],
)}
${table(
  ['场景', '评测前等级', '评测后等级', '变化'],
  c.scenes.map((s) => [esc(s.name) + (s.constraining ? ' ★' : ''), s.before, s.after, signed(s.change)]),
)}`;
}

/** Names and dates known from the record are printed; the lines stay open for the handwritten signatures. */
function signatures(record: AssessmentRecord | undefined): string {
  const day = (iso: string | undefined) => (iso ? beijingDate(iso) : '');
  const row = (role: string, name: string | undefined, date: string) =>
    `<tr><th>${role}</th><td>${esc(name ?? '')}</td><th>签字</th><td></td><th>日期</th><td>${date}</td></tr>`;
  return `<h2>签字</h2>
<table class="sign fixed"><colgroup><col style="width:14%"><col style="width:20%"><col style="width:8%"><col style="width:28%"><col style="width:8%"><col style="width:22%"></colgroup>
${row('评测人员', record?.assessor, record?.assessor ? day(record.recordedAt) : '')}
${row('审核人员', record?.validation?.by, day(record?.validation?.at))}
${row('企业负责人', undefined, '')}
</table>`;
}
