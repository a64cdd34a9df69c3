/**
 * The payout engine's case (policies/case.ts) built from the enterprise file, never from numbers typed
 * into the application: the investment from the renovation's items, the level after from the
 * validated assessment, the batch from the enterprise, the prior payouts from the applications the
 * service already approved. Only facts the file does not hold (规上, the recognition applied for)
 * come from the application, declared by the applicant and shown to the officers.
 */
import { Decimal } from 'decimal.js';
import type { PayoutCase } from '../../../policies/case.ts';
import type { RenovationView } from '../enterprises/schemas.ts';

/**
 * GB/T 2260 codes (and prefixes) of the seed documents' regions, longest first, with the name the
 * documents give the region (policies/documents/*.yaml `region`).
 */
const REGION_NAMES: readonly [string, string][] = [
  ['330784', '永康市'],
  ['330203', '宁波市海曙区'],
  ['330183', '杭州市富阳区'],
  ['4106', '鹤壁市'],
  ['4401', '广州市'],
];

/** The region's name as the policy documents write it, or undefined for a region no document covers. */
export const regionName = (code: string): string | undefined =>
  REGION_NAMES.find(([prefix]) => code.startsWith(prefix))?.[1];

/**
 * 永政办发〔2023〕40号 二(二): the 软硬件总投入 of the 中级数智工厂 measures is counted without the
 * supporting automation equipment, which the measure subsidises as a separate part.
 */
const TOTAL_WITHOUT_AUTOMATION = new Set([
  'yongkang.mid-smart-factory-pilot',
  'yongkang.mid-smart-factory-promotion',
]);

/** Sums of the renovation's items by the case's investment fields (exact, two decimals). */
export function investmentOf(
  measure: string,
  renovation: RenovationView,
): NonNullable<PayoutCase['investment']> {
  const sum = (keep: (category: string) => boolean) =>
    renovation.items
      .filter((i) => keep(i.category))
      .reduce((total, i) => total.plus(i.amount), new Decimal(0))
      .toFixed(2);
  const withoutAutomation = TOTAL_WITHOUT_AUTOMATION.has(measure);
  return {
    total: sum((c) => !(withoutAutomation && c === 'automation')),
    automation: sum((c) => c === 'automation'),
    robots: sum((c) => c === 'robots'),
    planningFee: sum((c) => c === 'planning'),
    cloudPaid: sum((c) => c === 'cloud'),
  };
}

export interface CaseSources {
  measure: string;
  /** The day of the application (China Standard Time), YYYY-MM-DD. */
  asOf: string;
  enterprise: { name: string; region: string; industry: string; sme: boolean; batch: number | null };
  declared: Declared;
  renovation: RenovationView;
  levelAfter: number | null;
  priorPayouts: { measure: string; amount: string; date: string }[];
}

export interface Declared {
  /** 规上: the file holds the size class, not whether the enterprise is above the statistical threshold. */
  aboveScale?: boolean | undefined;
  recognition?: { name: string; tier?: string | undefined; first?: boolean | undefined } | undefined;
}

export function buildCase(sources: CaseSources): PayoutCase {
  const { enterprise, declared } = sources;
  return {
    asOf: sources.asOf,
    enterprise: {
      name: enterprise.name,
      region: regionName(enterprise.region) ?? enterprise.region,
      industry: enterprise.industry,
      sme: enterprise.sme,
      ...(declared.aboveScale === undefined ? {} : { aboveScale: declared.aboveScale }),
    },
    investment: investmentOf(sources.measure, sources.renovation),
    ...(sources.levelAfter === null ? {} : { levelAfter: sources.levelAfter }),
    ...(enterprise.batch === null ? {} : { batch: enterprise.batch }),
    ...(declared.recognition ? { recognition: declared.recognition as PayoutCase['recognition'] } : {}),
    priorPayouts: sources.priorPayouts,
  };
}

/** The day of an instant in China Standard Time (UTC+8, no daylight saving). */
export const chinaDate = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
