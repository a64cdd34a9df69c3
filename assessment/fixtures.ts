/**
 * For tests: answers with every item at its lowest and every scene at 0, then changed per scenario;
 * a gateway config of two presses; devices and samples for the evidence; a temporary folder to write
 * inputs into.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUSINESS_LINKS, type Device, type Quality } from '../core/model.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';
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

/** Eight scenes, six of them ★ (the 2024 rule's 二级 needs six at level 2 or above, three ★). */
export const LEVEL_TWO_SCENES = [
  '产品设计',
  '营销管理',
  '生产管控',
  '质量管理',
  '设备管理',
  '安全生产',
  '工艺设计',
  '售后服务',
] as const;

/** Forty points and the eight scenes of LEVEL_TWO_SCENES at level 2: 二级. */
export function levelTwo(): Answers {
  const a = fortyPoints();
  for (const scene of LEVEL_TWO_SCENES) a.scenes[scene] = 2;
  return a;
}

/** A press on the Modbus link of `modbusLink`, mapped to register entry `asset` when given. */
export function modbusPress(id: string, unitId: number, production: boolean, asset?: string): string {
  return [
    `      - id: ${id}`,
    `        unitId: ${unitId}`,
    `        production: ${production}`,
    ...(asset ? [`        asset: ${asset}`] : []),
    '        businessLinks: [生产管控]',
    '        tags: [{ id: count, type: integer, register: holding, address: 0, dataType: uint16 }]',
  ].join('\n');
}

/** A gateway config (gateway `gatewayId`) with one Modbus link of these devices; they start on line 11. */
export function modbusLink(gatewayId: string, devices: readonly string[]): string {
  return `
gateway: { id: ${gatewayId} }
connections:
  - id: plc
    protocol: modbus
    transport: tcp
    host: 127.0.0.1
    port: 502
    addressBase: 0
    devices:
${devices.join('\n')}
`;
}

/**
 * A gateway config with two production presses on one Modbus link (gateway `gatewayId`), mapped to
 * the register entries `assets` when given (the `asset:` lines are lines 14 and 20).
 */
export function twoPresses(gatewayId: string, assets?: [string, string]): string {
  return modbusLink(gatewayId, [
    modbusPress('press-1', 1, true, assets?.[0]),
    modbusPress('press-2', 2, true, assets?.[1]),
  ]);
}

/** A Modbus device of number tags serving 生产管控 and 设备管理, as the evidence tests build them. */
export function evidenceDevice(
  id: string,
  production: boolean,
  tags: string[],
  extra: Partial<Device> = {},
): Device {
  return {
    id,
    protocol: 'modbus',
    production,
    businessLinks: ['生产管控', '设备管理'],
    tags: tags.map((t) => ({ id: t, type: 'number' })),
    ...extra,
  };
}

/** A stored sample of value 1 taken at `at`, of the given quality (status 1 unless good). */
export function evidenceSample(
  device: string,
  tag: string,
  at: number,
  quality: Quality = 'good',
): StoredSample {
  return {
    device,
    tag,
    value: 1,
    type: 'number',
    quality,
    statusCode: quality === 'good' ? 0 : 1,
    sourceTime: at,
    receivedAt: at,
  };
}

export interface Scratch {
  dir: string;
  file(name: string, text: string): string;
  /** `--config` (written as `name`), `--store <dir>/samples.db` and `--window` of 1 October 2024. */
  evidenceArgs(name: string, config: string): string[];
  remove(): void;
}

/** A temporary folder to write test inputs into; `remove()` for afterAll. */
export function scratch(prefix: string): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return {
    dir,
    file,
    evidenceArgs: (name, config) => [
      '--config',
      file(name, config),
      '--store',
      path.join(dir, 'samples.db'),
      '--window',
      '2024-10-01..2024-10-02',
    ],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
