/**
 * Evidence from machine data for one window: the networking and digitization rates of the
 * production devices, the business links with automatically collected data, and the tags behind the
 * level-3 signals of four scenes. Each figure names the item it supports, its window, its devices and
 * the query it came from. The rates count against the enterprise's equipment register when one is
 * given, else against the gateway config's production devices (an upper bound, and said so). The data
 * never changes an answer: crossCheck only flags claims above it.
 */
import { Decimal } from 'decimal.js';
import { type BusinessLink, type Device, tagBusinessLinks } from '../../core/model.ts';
import { beijingMinute } from '../../core/time.ts';
import type { PlausibilityFlag } from '../../gateway/attest/plausibility.ts';
import type { SampleReader, SeriesSummary, TimeWindow } from '../../gateway/store/reader.ts';
import { bandOf } from '../answers.ts';
import type { Catalogue } from '../catalogue/load.ts';
import type { RegisterMatch } from '../register/match.ts';
import {
  countsInRates,
  type DeviceType,
  type EquipmentStatus,
  type RegisterEntry,
} from '../register/schema.ts';
import type { ScoreResult } from '../score.ts';
import { COLLECTION_ITEM, DATA_SCENES_L3, RATE_ITEMS } from './demonstrable.ts';
import { measureOutcomes, type OutcomeFigure, type OutcomeSpec } from './outcomes.ts';

export interface EvidenceQuery {
  store: string;
  call: 'summarize';
  window: { from: string; to: string };
}

/**
 * What a rate counts: a production device in service of the register (with the config device mapped
 * to it, if any), or, without a register, a production device of the gateway config.
 */
export interface RateUnit {
  asset?: string;
  name?: string;
  type?: DeviceType;
  workshop?: string;
  line?: string;
  device?: string;
}

export interface RateFigure {
  item: string;
  numerator: number;
  denominator: number;
  percent: string;
  band: { id: string; text: string; points: string };
  counted: RateUnit[];
  notCounted: (RateUnit & { reason: NotCountedReason })[];
}

/** Why a unit is not counted; stable strings (the report translates them). */
export const NOT_COUNTED = {
  unmapped: 'no device of the gateway config is mapped to it',
  noSamples: 'no samples in the window',
  onlyBad: 'only bad or uncertain samples in the window',
  noTags: 'no tag configured (no digital interface)',
} as const;
export type NotCountedReason = (typeof NOT_COUNTED)[keyof typeof NOT_COUNTED];

/** What the rates were divided by. */
export type Denominator =
  | {
      basis: 'register';
      file: string;
      /** Entries of the register; of them, the production devices in service are the denominator. */
      entries: number;
      inRates: number;
      /** Entries left out of the rates: not production equipment (生产设备: 否), or not in service. */
      leftOut: { asset: string; name: string; production: boolean; status: EquipmentStatus }[];
    }
  | {
      basis: 'config';
      devices: number;
      /** Said in the evidence and the report: the rates are an upper bound, ask for the register. */
      note: string;
    };

export const CONFIG_BASIS_NOTE =
  "the denominator is the production devices of the gateway config, not the enterprise's equipment " +
  'register (设备台账): production devices the config leaves out are not counted, so the rates are an ' +
  'upper bound on what the data shows about the enterprise; ask for the register (--register)';

export interface LinkFigure {
  link: BusinessLink;
  /** `device/tag` of the tags mapped to the link that delivered good data in the window. */
  tags: string[];
  /**
   * The first and last sample of those tags in the window (ISO): the span the report summarises them
   * by. Absent in reports recorded before it was kept.
   */
  from?: string;
  to?: string;
}

export interface Evidence {
  window: { from: string; to: string };
  query: EvidenceQuery;
  /** Production devices in the gateway config. */
  productionDevices: string[];
  excluded: { device: string; reason: string }[];
  /** Absent in reports recorded before registers were read: read it through `rateBasis`. */
  denominator?: Denominator;
  /** Null when the denominator is empty: a rate of 0/0 proves nothing. */
  networking: RateFigure | null;
  digitization: RateFigure | null;
  links: LinkFigure[];
  /**
   * Level-3 signals: the scene's tags with good data, what the data shows beyond them (设备管理: the
   * gateway computed OEE for these devices; 质量管理: these tags carry a pass/fail judged by a machine),
   * and what its L3 text asks that only the assessor can check.
   */
  sceneSignals: { scene: BusinessLink; tags: string[]; shown: string[]; stillToCheck: string }[];
  /** 绿色低碳 and 产品质量, after against before, when their series and windows are given. */
  outcomes: OutcomeFigure[];
  /** The store checked against the gateway's signed attestations over the window (with --pubkey). */
  integrity?: Integrity;
}

/** What `shugai verify` found over the assessment window, kept short for the report. */
export interface Integrity {
  gateway: string;
  clean: boolean;
  attestations: { valid: number; firstSeq: number | undefined; lastSeq: number | undefined };
  /** Findings by kind, and the first few in full. */
  findingCounts: Record<string, number>;
  /** `from`/`to`/`at` (ISO): what the finding is about; absent in reports recorded before they were kept. */
  findings: { kind: string; device?: string; from?: string; to?: string; at?: string; message: string }[];
  devices: {
    device: string;
    coveragePercent: number;
    firstAttested?: string;
    lastAttested?: string;
    gaps: number;
    unattestedPoints: number;
  }[];
  flags: { kind: PlausibilityFlag['kind']; device: string; tag?: string; message: string }[];
  /** Which guarantees held for this verification (gateway/attest/verify.ts `Guarantee`). */
  guarantees: { id: 'points' | 'head' | 'tail'; held: boolean }[];
}

const STILL_TO_CHECK: Record<string, string> = {
  设备管理: '故障分析、远程诊断与OEE统计须现场核实',
  能耗管理: '须覆盖水、电、气、液等能耗数据并用于监测分析与协同管控',
  生产管控: '须包括生产工单信息与工艺参数, 并与其他系统协同',
  质量管理: '检测结果须由系统自动判断和报警',
};

interface Unit {
  unit: RateUnit;
  /** The config device that stands for it; none for a register entry no device is mapped to. */
  device: Device | undefined;
}

const unitOf = (e: RegisterEntry, device: Device | undefined): RateUnit => ({
  asset: e.asset,
  name: e.name,
  type: e.type,
  ...(e.workshop === undefined ? {} : { workshop: e.workshop }),
  ...(e.line === undefined ? {} : { line: e.line }),
  ...(device ? { device: device.id } : {}),
});

/** The units a rate divides by: the register's production devices in service, else the config's. */
function rateUnits(devices: readonly Device[], register: RegisterMatch | undefined): Unit[] {
  if (!register)
    return devices.filter((d) => d.production).map((d) => ({ unit: { device: d.id }, device: d }));
  return register.register.entries.filter(countsInRates).map((e) => {
    const device = register.deviceOf.get(e.asset);
    return { unit: unitOf(e, device), device };
  });
}

/** What the rates of `evidence` were divided by; a report recorded before registers were read used the config. */
export function rateBasis(evidence: Evidence): Denominator {
  return (
    evidence.denominator ?? {
      basis: 'config',
      devices: evidence.productionDevices.length,
      note: CONFIG_BASIS_NOTE,
    }
  );
}

function denominatorOf(devices: readonly Device[], register: RegisterMatch | undefined): Denominator {
  if (!register)
    return { basis: 'config', devices: devices.filter((d) => d.production).length, note: CONFIG_BASIS_NOTE };
  const { entries, file } = register.register;
  return {
    basis: 'register',
    file,
    entries: entries.length,
    inRates: entries.filter(countsInRates).length,
    leftOut: entries
      .filter((e) => !countsInRates(e))
      .map((e) => ({ asset: e.asset, name: e.name, production: e.production, status: e.status })),
  };
}

function rate(
  catalogue: Catalogue,
  item: string,
  units: readonly Unit[],
  notCounted: (d: Device) => NotCountedReason | null,
): RateFigure | null {
  if (units.length === 0) return null;
  const counted: RateUnit[] = [];
  const left: RateFigure['notCounted'] = [];
  for (const { unit, device } of units) {
    const reason = device ? notCounted(device) : NOT_COUNTED.unmapped;
    if (reason === null) counted.push(unit);
    else left.push({ ...unit, reason });
  }
  const catalogueItem = catalogue.items.find((i) => i.id === item)!;
  const ratio = { numerator: String(counted.length), denominator: String(units.length) };
  const band = bandOf(catalogueItem, ratio);
  return {
    item,
    numerator: counted.length,
    denominator: units.length,
    percent: new Decimal(counted.length).div(units.length).times(100).toDecimalPlaces(4).toFixed(),
    band: { id: band.id, text: band.text, points: band.points },
    counted,
    notCounted: left,
  };
}

export interface MeasureOptions {
  /** 绿色低碳 and 产品质量, after against before. */
  outcomes?: OutcomeSpec;
  /** The register with the config's devices mapped onto it (matchRegister): the rates' denominator. */
  register?: RegisterMatch;
}

export async function measureEvidence(
  catalogue: Catalogue,
  devices: readonly Device[],
  reader: SampleReader,
  window: TimeWindow,
  storeName: string,
  { outcomes, register }: MeasureOptions = {},
): Promise<Evidence> {
  const iso = { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() };
  const summaries = await reader.summarize(window);
  const count = (device: string, tag: string) =>
    summaries.find((s) => s.device === device && s.tag === tag)?.counts ?? { good: 0, uncertain: 0, bad: 0 };
  // Only configured tags count: a tag the config does not name has no business link and no owner.
  const goodTags = (d: Device) => d.tags.filter((t) => count(d.id, t.id).good > 0);
  const production = devices.filter((d) => d.production);
  const units = rateUnits(devices, register);

  const networking = rate(catalogue, RATE_ITEMS.networking, units, (d) => {
    if (goodTags(d).length > 0) return null;
    const any = d.tags.some((t) => {
      const c = count(d.id, t.id);
      return c.bad + c.uncertain > 0;
    });
    return any ? NOT_COUNTED.onlyBad : NOT_COUNTED.noSamples;
  });
  const digitization = rate(catalogue, RATE_ITEMS.digitization, units, (d) =>
    d.tags.length > 0 ? null : NOT_COUNTED.noTags,
  );

  const byLink = new Map<BusinessLink, { tags: string[]; from: number; to: number }>();
  for (const d of devices) {
    for (const t of goodTags(d)) {
      const s = summaries.find((x) => x.device === d.id && x.tag === t.id)!;
      for (const link of tagBusinessLinks(d, t)) {
        const seen = byLink.get(link) ?? { tags: [], from: s.first, to: s.last };
        byLink.set(link, {
          tags: [...seen.tags, `${d.id}/${t.id}`],
          from: Math.min(seen.from, s.first),
          to: Math.max(seen.to, s.last),
        });
      }
    }
  }
  const order = catalogue.items.find((i) => i.id === COLLECTION_ITEM)!.options.map((o) => o.id);
  const links = [...byLink]
    .map(([link, { tags, from, to }]) => ({
      link,
      tags,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    }))
    .sort((a, b) => order.indexOf(a.link) - order.indexOf(b.link));
  return {
    window: iso,
    query: { store: storeName, call: 'summarize', window: iso },
    productionDevices: production.map((d) => d.id),
    excluded: devices
      .filter((d) => !d.production)
      .map((d) => ({ device: d.id, reason: 'not a production device' })),
    denominator: denominatorOf(devices, register),
    networking,
    digitization,
    links,
    sceneSignals: DATA_SCENES_L3.map((scene) => ({
      scene,
      tags: byLink.get(scene)?.tags ?? [],
      shown: shownBeyondTags(scene, devices, summaries),
      stillToCheck: STILL_TO_CHECK[scene]!,
    })),
    outcomes: outcomes ? await measureOutcomes(catalogue, outcomes, reader, storeName) : [],
  };
}

/** Derived OEE tags the gateway writes (gateway/derived): their presence shows OEE is computed. */
const OEE_TAGS = new Set(['oee', 'shift_oee']);

function shownBeyondTags(
  scene: BusinessLink,
  devices: readonly Device[],
  summaries: readonly SeriesSummary[],
): string[] {
  const good = (device: string, tag: string) =>
    summaries.some((s) => s.device === device && s.tag === tag && s.counts.good > 0);
  if (scene === '设备管理') {
    return devices
      .filter(
        (d) =>
          d.production &&
          summaries.some((s) => s.device === d.id && OEE_TAGS.has(s.tag) && s.counts.good > 0),
      )
      .map((d) => `网关为 ${d.id} 计算了OEE`);
  }
  if (scene === '质量管理') {
    return devices.flatMap((d) =>
      d.tags
        .filter(
          (t) => t.type === 'boolean' && tagBusinessLinks(d, t).includes('质量管理') && good(d.id, t.id),
        )
        .map((t) => `检验结果由设备自动判定: ${d.id}/${t.id}`),
    );
  }
  return [];
}

export interface Flag {
  item: string;
  answered: string;
  measured: string;
  message: string;
  /** The message in Chinese, for the report (absent in reports recorded before it was kept). */
  zh?: string;
  /** Against a register: its production devices in service that the rate did not count, and why. */
  devices?: { asset: string; name: string; reason: NotCountedReason }[];
}

/**
 * A rate answered above the measured one: by the ratio when the answer gives one (45/50 against 16/50
 * is flagged even within one band), else by the band's points.
 */
function rateFlag(result: ScoreResult, evidence: Evidence, figure: RateFigure): Flag | null {
  const answer = result.items.find((i) => i.id === figure.item)!;
  const claimed = answer.chosen[0];
  if (!claimed) return null;
  const ratio = answer.rate;
  const above = ratio
    ? new Decimal(ratio.numerator)
        .times(figure.denominator)
        .gt(new Decimal(figure.numerator).times(ratio.denominator))
    : new Decimal(claimed.points).gt(figure.band.points);
  if (!above) return null;
  const basis = rateBasis(evidence);
  const claim = ratio
    ? `${ratio.numerator}/${ratio.denominator} = ${ratio.percent}% ${claimed.text}`
    : claimed.text;
  const shows = `${figure.numerator}/${figure.denominator} = ${figure.percent}%`;
  const sameBand = new Decimal(claimed.points).eq(figure.band.points);
  const flag: Flag = {
    item: figure.item,
    answered: claimed.text,
    measured: `${shows} ${figure.band.text}`,
    message:
      `${answer.name}: answered ${claim} (${claimed.points} points), but the data of ${evidence.window.from}..` +
      `${evidence.window.to} shows ${shows}, band ${figure.band.text} (${figure.band.points} points${sameBand ? ', the same points' : ''})`,
    zh:
      `${answer.name}: 填报 ${claim}（${claimed.points} 分），但 ${windowZh(evidence.window)} 的设备数据显示 ` +
      `${shows}，档位 ${figure.band.text}（${figure.band.points} 分${sameBand ? '，得分相同' : ''}）`,
  };
  if (basis.basis === 'config')
    return {
      ...flag,
      message: `${flag.message}; ${basis.note}`,
      zh: `${flag.zh}；分母为网关配置中的生产设备，不是企业的设备台账，实测比率为上限，请企业提供设备台账（--register）`,
    };
  const notes: [en: string, zh: string][] = [
    [
      `against the equipment register ${basis.file}: ${figure.notCounted.length} of its ${figure.denominator} ` +
        'production devices in service are not counted (listed in devices)',
      `按设备台账 ${basis.file}，其 ${figure.denominator} 台在用生产设备中有 ${figure.notCounted.length} 台未计入`,
    ],
  ];
  if (ratio && !new Decimal(ratio.denominator).eq(figure.denominator))
    notes.push([
      `the answer counts ${ratio.denominator} production devices, the register ${figure.denominator}`,
      `填报的生产设备为 ${ratio.denominator} 台，台账为 ${figure.denominator} 台`,
    ]);
  const notInService = basis.leftOut.filter((e) => e.production).length;
  if (notInService > 0)
    notes.push([
      `${notInService} production devices of the register are not in service and left out (check them on site)`,
      `台账中有 ${notInService} 台生产设备不在用，未计入分母（请现场核实）`,
    ]);
  return {
    ...flag,
    message: `${flag.message} ${notes.map(([en]) => en).join('; ')}`,
    zh: `${flag.zh}；${notes.map(([, zh]) => zh).join('；')}`,
    devices: figure.notCounted.map((u) => ({ asset: u.asset!, name: u.name!, reason: u.reason })),
  };
}

/** A window as the report prints it: `2024-10-01 00:00 至 2024-10-02 00:00 北京时间`. */
export const windowZh = (w: { from: string; to: string }) =>
  `${beijingMinute(w.from)} 至 ${beijingMinute(w.to)} 北京时间`;

/** Claims above what the data shows, for the assessor to look at; the answers stay as given. */
export function crossCheck(result: ScoreResult, evidence: Evidence): Flag[] {
  const flags: Flag[] = [];
  for (const figure of [evidence.networking, evidence.digitization]) {
    const flag = figure && rateFlag(result, evidence, figure);
    if (flag) flags.push(flag);
  }
  for (const o of evidence.outcomes) {
    const claimed = result.items.find((i) => i.id === o.item)!;
    const answered = claimed.chosen[0];
    if (!o.option || !answered || !new Decimal(answered.points).gt(o.option.points)) continue;
    flags.push({
      item: o.item,
      answered: answered.text,
      measured: `${o.measure}: ${o.before.value} → ${o.after.value} (${o.option.text})`,
      message:
        `${claimed.name}: answered ${answered.text} (${answered.points} points), but ${o.measure} went from ` +
        `${o.before.value} (${o.before.window.from}..${o.before.window.to}) to ${o.after.value} ` +
        `(${o.after.window.from}..${o.after.window.to}): ${o.option.text} (${o.option.points} points)`,
      zh:
        `${claimed.name}: 填报 ${answered.text}（${answered.points} 分），但 ${o.measure} 由 ` +
        `${o.before.value}（${windowZh(o.before.window)}）变为 ${o.after.value}（${windowZh(o.after.window)}）: ` +
        `${o.option.text}（${o.option.points} 分）`,
    });
  }
  return flags;
}
