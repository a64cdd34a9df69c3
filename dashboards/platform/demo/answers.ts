/**
 * The demo's assessment answers on the 2024 indicators: before the renovation an enterprise stands at
 * level 1 (一级, S ≥ 20 with 6 scenes at level 1, 3 of them ★), after it at level 2 (二级, S ≥ 40 with
 * 6 scenes at level 2, 3 of them ★), the level most measures ask for after a renovation. The device
 * rates are the enterprise's own: networked machines of its in-service production equipment.
 */
import type { Answers } from '../../../assessment/answers.ts';
import { BUSINESS_LINKS } from '../../../core/model.ts';

interface Facts {
  name: string;
  uscc: string;
  /** In-service production machines in the register, and how many of them are networked. */
  machines: number;
  networked: number;
}

const rate = (numerator: number, denominator: number) => ({
  rate: { numerator: String(numerator), denominator: String(denominator) },
});

const scenes = (rated: Partial<Record<(typeof BUSINESS_LINKS)[number], number>>) =>
  Object.fromEntries(BUSINESS_LINKS.map((s) => [s, rated[s] ?? 0]));

/** Before: spreadsheets and a network for the controls; 29.275 points, level 1. */
export function answersBefore(f: Facts): Answers {
  return {
    edition: '2024',
    enterprise: { name: f.name, creditCode: f.uscc },
    items: {
      network: { options: ['control-network'] },
      'device-digitization': rate(Math.ceil(f.machines / 2), f.machines),
      'device-networking': rate(f.networked, f.machines),
      'data-collection': { options: ['生产管控', '质量管理'] },
      'information-systems': { options: ['single-link'] },
      'network-security': { options: ['policy'] },
      'data-security': { options: ['policy'] },
      'planning-implementation': { options: ['planned'] },
      'management-mechanisms': { options: ['workflow'] },
      talent: { options: ['staff'] },
      funding: rate(3, 100),
      'energy-per-revenue': { options: ['unchanged'] },
      'pass-rate': { options: ['unchanged'] },
      'revenue-per-employee': { options: ['unchanged'] },
      'cost-per-revenue': { options: ['unchanged'] },
    },
    scenes: scenes({ 产品设计: 1, 营销管理: 1, 财务管理: 1, 工艺设计: 1, 计划排程: 1, 人力资源: 1 }),
  };
}

/** After: machines networked, an MES over the production links; level 2. */
export function answersAfter(f: Facts): Answers {
  return {
    edition: '2024',
    enterprise: { name: f.name, creditCode: f.uscc },
    items: {
      network: { options: ['control-network', 'system-network', 'full-coverage'] },
      'device-digitization': rate(f.machines, f.machines),
      'device-networking': rate(f.networked, f.machines),
      'data-collection': {
        options: ['计划排程', '生产管控', '质量管理', '设备管理', '能耗管理', '仓储物流'],
      },
      'information-systems': { options: ['several-links'] },
      'network-security': { options: ['policy', 'products', 'boundary-control'] },
      'data-security': { options: ['policy', 'products'] },
      'planning-implementation': { options: ['renovating'] },
      'management-mechanisms': { options: ['workflow', 'system-operations'] },
      talent: { options: ['staff', 'training'] },
      funding: rate(15, 100),
      'energy-per-revenue': { options: ['decreased'] },
      'pass-rate': { options: ['increased'] },
      'revenue-per-employee': { options: ['unchanged'] },
      'cost-per-revenue': { options: ['unchanged'] },
    },
    scenes: scenes({
      生产管控: 2,
      质量管理: 2,
      设备管理: 2,
      能耗管理: 2,
      营销管理: 2,
      财务管理: 2,
      计划排程: 2,
      产品设计: 1,
      工艺设计: 1,
      仓储物流: 1,
      人力资源: 1,
    }),
  };
}
