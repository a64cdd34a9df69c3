/**
 * What the gateway's machine data can demonstrate (indicators-2024.md, "What shop-floor data can
 * prove"): the two device rates, automatic collection on the shop-floor links, and level 3 of four
 * scenes. The gap analysis marks these; the evidence module measures them.
 */
import type { BusinessLink } from '../../core/model.ts';

export const RATE_ITEMS = { networking: 'device-networking', digitization: 'device-digitization' } as const;
export const COLLECTION_ITEM = 'data-collection';

/** Links whose tags a gateway carries: counts/work orders, run state, meters, inspections, alarms, scans. */
export const GATEWAY_LINKS: readonly BusinessLink[] = [
  '生产管控',
  '质量管理',
  '设备管理',
  '安全生产',
  '能耗管理',
  '仓储物流',
];

/** Scenes whose level 3 text asks for what machine data shows (real-time collection, automatic judgement). */
export const DATA_SCENES_L3: readonly BusinessLink[] = ['设备管理', '能耗管理', '生产管控', '质量管理'];

export function itemStepDemonstrable(itemId: string, optionId: string): boolean {
  if (itemId === RATE_ITEMS.networking || itemId === RATE_ITEMS.digitization) return true;
  return itemId === COLLECTION_ITEM && (GATEWAY_LINKS as readonly string[]).includes(optionId);
}

export function sceneLiftDemonstrable(scene: string, toLevel: number): boolean {
  return toLevel === 3 && (DATA_SCENES_L3 as readonly string[]).includes(scene);
}
