/** Answers for tests: every item at its lowest and every scene at 0, then changed per scenario. */
import { BUSINESS_LINKS } from '../core/model.ts';
import type { Answers } from './answers.ts';

export function lowestAnswers(): Answers {
  return {
    edition: '2024',
    enterprise: { name: '永康某保温杯有限公司' },
    items: {
      network: { options: ['none'] },
      'device-digitization': { rate: { numerator: '0', denominator: '10' } },
      'device-networking': { rate: { numerator: '0', denominator: '10' } },
      'data-collection': { options: ['none'] },
      'information-systems': { options: ['none'] },
      'network-security': { options: [] },
      'data-security': { options: [] },
      'planning-implementation': { options: ['none'] },
      'management-mechanisms': { options: [] },
      talent: { options: [] },
      funding: { rate: { numerator: '0', denominator: '1000000' } },
      'energy-per-revenue': { options: ['increased'] },
      'pass-rate': { options: ['decreased'] },
      'revenue-per-employee': { options: ['decreased'] },
      'cost-per-revenue': { options: ['increased'] },
    },
    scenes: Object.fromEntries(BUSINESS_LINKS.map((s) => [s, 0])),
  };
}

/** Exactly 40 points, all in 数字化基础: network 8, both rates 6, information systems 10, security 10. */
export function fortyPoints(): Answers {
  const a = lowestAnswers();
  a.items.network = { options: ['control-network', 'system-network', '5g-network', 'full-coverage'] };
  a.items['device-digitization'] = { rate: { numerator: '10', denominator: '10' } };
  a.items['device-networking'] = { rate: { numerator: '10', denominator: '10' } };
  a.items['information-systems'] = { options: ['all-links'] };
  a.items['network-security'] = { options: ['policy', 'products', 'risk-assessment', 'boundary-control'] };
  a.items['data-security'] = { options: ['policy', 'products', 'risk-assessment', 'data-ledger'] };
  return a;
}
