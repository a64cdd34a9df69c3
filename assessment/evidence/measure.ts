/**
 * Evidence from machine data for one window: the networking and digitization rates of the
 * production devices, the business links with automatically collected data, and the tags behind the
 * level-3 signals of four scenes. Each figure names the item it supports, its window, its devices and
 * the query it came from. The data never changes an answer: crossCheck only flags claims above it.
 */
import { Decimal } from 'decimal.js';
import { type BusinessLink, type Device, tagBusinessLinks } from '../../core/model.ts';
import type { SampleReader, SeriesSummary, TimeWindow } from '../../gateway/store/reader.ts';
import { bandOf } from '../answers.ts';
import type { Catalogue } from '../catalogue/load.ts';
import type { ScoreResult } from '../score.ts';
import { COLLECTION_ITEM, DATA_SCENES_L3, RATE_ITEMS } from './demonstrable.ts';
import { measureOutcomes, type OutcomeFigure, type OutcomeSpec } from './outcomes.ts';

export interface EvidenceQuery {
  store: string;
  call: 'summarize';
  window: { from: string; to: string };
}

export interface RateFigure {
  item: string;
  numerator: number;
  denominator: number;
  percent: string;
  band: { id: string; text: string; points: string };
  counted: string[];
  notCounted: { device: string; reason: string }[];
}

export interface LinkFigure {
  link: BusinessLink;
  /** `device/tag` of the tags mapped to the link that delivered good data in the window. */
  tags: string[];
}

export interface Evidence {
  window: { from: string; to: string };
  query: EvidenceQuery;
  /** Production devices registered in the gateway config. */
  productionDevices: string[];
  excluded: { device: string; reason: string }[];
  /** Null when no production device is registered: a rate of 0/0 proves nothing. */
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
  findings: { kind: string; device?: string; message: string }[];
  devices: {
    device: string;
    coveragePercent: number;
    firstAttested?: string;
    lastAttested?: string;
    gaps: number;
    unattestedPoints: number;
  }[];
  flags: { kind: string; device: string; message: string }[];
}

const STILL_TO_CHECK: Record<string, string> = {
  设备管理: '故障分析、远程诊断与OEE统计须现场核实',
  能耗管理: '须覆盖水、电、气、液等能耗数据并用于监测分析与协同管控',
  生产管控: '须包括生产工单信息与工艺参数, 并与其他系统协同',
  质量管理: '检测结果须由系统自动判断和报警',
};

function rate(
  catalogue: Catalogue,
  item: string,
  production: readonly Device[],
  counts: (d: Device) => string | null,
): RateFigure | null {
  if (production.length === 0) return null;
  const notCounted = production.flatMap((d) => {
    const reason = counts(d);
    return reason === null ? [] : [{ device: d.id, reason }];
  });
  const counted = production.filter((d) => !notCounted.some((n) => n.device === d.id)).map((d) => d.id);
  const catalogueItem = catalogue.items.find((i) => i.id === item)!;
  const ratio = { numerator: String(counted.length), denominator: String(production.length) };
  const band = bandOf(catalogueItem, ratio);
  return {
    item,
    numerator: counted.length,
    denominator: production.length,
    percent: new Decimal(counted.length).div(production.length).times(100).toDecimalPlaces(4).toFixed(),
    band: { id: band.id, text: band.text, points: band.points },
    counted,
    notCounted,
  };
}

export async function measureEvidence(
  catalogue: Catalogue,
  devices: readonly Device[],
  reader: SampleReader,
  window: TimeWindow,
  storeName: string,
  outcomes?: OutcomeSpec,
): Promise<Evidence> {
  const iso = { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() };
  const summaries = await reader.summarize(window);
  const count = (device: string, tag: string) =>
    summaries.find((s) => s.device === device && s.tag === tag)?.counts ?? { good: 0, uncertain: 0, bad: 0 };
  // Only configured tags count: a tag the config does not name has no business link and no owner.
  const goodTags = (d: Device) => d.tags.filter((t) => count(d.id, t.id).good > 0);
  const production = devices.filter((d) => d.production);

  const networking = rate(catalogue, RATE_ITEMS.networking, production, (d) => {
    if (goodTags(d).length > 0) return null;
    const any = d.tags.some((t) => {
      const c = count(d.id, t.id);
      return c.bad + c.uncertain > 0;
    });
    return any ? 'only bad or uncertain samples in the window' : 'no samples in the window';
  });
  const digitization = rate(catalogue, RATE_ITEMS.digitization, production, (d) =>
    d.tags.length > 0 ? null : 'no tag configured (no digital interface)',
  );

  const byLink = new Map<BusinessLink, string[]>();
  for (const d of devices) {
    for (const t of goodTags(d)) {
      for (const link of tagBusinessLinks(d, t))
        byLink.set(link, [...(byLink.get(link) ?? []), `${d.id}/${t.id}`]);
    }
  }
  const order = catalogue.items.find((i) => i.id === COLLECTION_ITEM)!.options.map((o) => o.id);
  const links = [...byLink]
    .map(([link, tags]) => ({ link, tags }))
    .sort((a, b) => order.indexOf(a.link) - order.indexOf(b.link));
  return {
    window: iso,
    query: { store: storeName, call: 'summarize', window: iso },
    productionDevices: production.map((d) => d.id),
    excluded: devices
      .filter((d) => !d.production)
      .map((d) => ({ device: d.id, reason: 'not a production device' })),
    networking,
    digitization,
    links,
    sceneSignals: DATA_SCENES_L3.map((scene) => ({
      scene,
      tags: byLink.get(scene) ?? [],
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
      .map((d) => `OEE computed for ${d.id}`);
  }
  if (scene === '质量管理') {
    return devices.flatMap((d) =>
      d.tags
        .filter(
          (t) => t.type === 'boolean' && tagBusinessLinks(d, t).includes('质量管理') && good(d.id, t.id),
        )
        .map((t) => `pass/fail judged by machine: ${d.id}/${t.id}`),
    );
  }
  return [];
}

export interface Flag {
  item: string;
  answered: string;
  measured: string;
  message: string;
}

/** Claims above what the data shows, for the assessor to look at; the answers stay as given. */
export function crossCheck(result: ScoreResult, evidence: Evidence): Flag[] {
  const flags: Flag[] = [];
  for (const figure of [evidence.networking, evidence.digitization]) {
    if (!figure) continue;
    const answer = result.items.find((i) => i.id === figure.item)!;
    const claimed = answer.chosen[0];
    if (claimed && new Decimal(claimed.points).gt(figure.band.points)) {
      flags.push({
        item: figure.item,
        answered: claimed.text,
        measured: `${figure.numerator}/${figure.denominator} = ${figure.percent}% ${figure.band.text}`,
        message:
          `${answer.name}: answered ${claimed.text} (${claimed.points} points), but the data of ` +
          `${evidence.window.from}..${evidence.window.to} shows ${figure.numerator}/${figure.denominator} = ` +
          `${figure.percent}%, band ${figure.band.text} (${figure.band.points} points)`,
      });
    }
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
    });
  }
  return flags;
}
