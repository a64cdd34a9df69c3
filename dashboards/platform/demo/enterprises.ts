/**
 * The demo's enterprises: one per region of the seed policy documents (policies/documents/), each with
 * the facts of its file, its equipment register, its renovation's investment items and the measure it
 * applies under. Fictitious companies with plausible facts: unified social credit codes whose
 * organisation code (GB 11714) and check character (GB 32100-2015) hold, GB/T 2260 county codes,
 * GB/T 4754-2017 industry classes within what the measure names.
 */
import type { RegisterEntry as PlantRegisterEntry } from '../../../assessment/register/schema.ts';
import { YONGKANG_CUPS_REGISTER } from '../../../simulator/plant/register.ts';
import type { ApplicationInput } from '../applications/schemas.ts';
import type { EnterpriseInput, RegisterEntry, RenovationInput } from '../enterprises/schemas.ts';

export interface DemoEnterprise {
  facts: EnterpriseInput;
  register: RegisterEntry[];
  renovation: RenovationInput;
  /** The application, without the assessments (the seed records those first). */
  application: Omit<ApplicationInput, 'assessmentBefore' | 'assessmentAfter'>;
  /** The machines networked before and after the renovation, of the register's in-service production ones. */
  networked: { before: number; after: number };
  /** What the bureau must still give at verification: the parameters the measure's document leaves open. */
  params?: Record<string, string>;
}

const asPlatformEntry = (e: PlantRegisterEntry): RegisterEntry => ({
  assetNo: e.asset,
  name: e.name,
  type: e.type,
  production: e.production,
  status: e.status,
});

/** A register of `count` machines of each kind, numbered from `prefix`-0001, all in service. */
function register(prefix: string, kinds: readonly [name: string, type: string, count: number][]) {
  const entries: RegisterEntry[] = [];
  for (const [name, type, count] of kinds)
    for (let i = 1; i <= count; i++)
      entries.push({
        assetNo: `${prefix}-${String(entries.length + 1).padStart(4, '0')}`,
        name: count > 1 ? `${name} ${i}号` : name,
        type,
        production: type !== 'power' && type !== 'handling' && type !== 'it',
        status: 'in-service',
      });
  return entries;
}

const contract = (number: string) => ({ number, signedOn: '2025-04-01' });

export const DEMO_ENTERPRISES = {
  /** The simulated plant of `npm start` (simulator/plant/yongkang-cups.ts): its register is the plant's. */
  yongkang: {
    facts: {
      name: '永康市恒泰保温杯有限公司',
      uscc: '9133078472761453XA',
      region: '330784',
      industry: '3382',
      scale: 'small',
      sme: true,
      batch: 1,
    },
    register: YONGKANG_CUPS_REGISTER.map(asPlatformEntry),
    renovation: {
      contract: contract('YK-SG-2025-0417'),
      provider: null,
      items: [
        { category: 'hardware', description: '边缘网关 2 台、电能表与温湿度传感器', amount: '186400.00' },
        { category: 'hardware', description: '车床与注塑机数据采集改造 7 台', amount: '64800.00' },
        { category: 'software', description: 'MES 生产执行系统(含设备管理模块)', amount: '128000.00' },
        { category: 'service', description: '实施与培训', amount: '40800.00' },
      ],
    },
    // 20 of the 23 in-service production machines serve data after the renovation (the two old
    // presses and the manual packing table do not).
    networked: { before: 2, after: 20 },
    application: { measure: 'yongkang.nx-renovation', aboveScale: true },
  },
  haishu: {
    facts: {
      name: '宁波海曙甬科汽车部件有限公司',
      uscc: '91330203144078325Q',
      region: '330203',
      industry: '3670',
      scale: 'medium',
      sme: true,
      batch: 1,
    },
    register: register('HS', [
      ['数控车床', 'machine-tool', 8],
      ['加工中心', 'machine-tool', 4],
      ['冲压机', 'forming', 3],
      ['机器人焊接工作站', 'welding', 2],
      ['三坐标测量机', 'inspection', 1],
      ['空压机', 'power', 1],
    ]),
    renovation: {
      contract: contract('HS-SZ-2025-031'),
      provider: null,
      items: [
        { category: 'hardware', description: '设备联网改造与工业网关', amount: '312000.00' },
        { category: 'software', description: 'MES 与质量追溯系统', amount: '405000.00' },
        { category: 'cloud', description: '工业云平台订阅(一年)', amount: '48000.00' },
        { category: 'service', description: '实施服务', amount: '95000.00' },
      ],
    },
    networked: { before: 3, after: 15 },
    application: { measure: 'haishu.national-pilot-renovation', aboveScale: true },
  },
  fuyang: {
    facts: {
      name: '杭州富阳富春光电科技有限公司',
      uscc: '91330183704239167P',
      region: '330183',
      industry: '3976',
      scale: 'small',
      sme: true,
      batch: 1,
    },
    register: register('FY', [
      ['光纤拉丝塔', 'machine-tool', 2],
      ['器件封装线', 'assembly', 3],
      ['光学测试台', 'inspection', 4],
      ['自动包装机', 'packing', 1],
      ['纯水系统', 'power', 1],
    ]),
    renovation: {
      contract: contract('FY-IOT-2025-012'),
      provider: null,
      items: [
        { category: 'hardware', description: '工厂物联网:传感器、网关与工业交换机', amount: '536000.00' },
        { category: 'software', description: '设备物联与能耗管理平台', amount: '488000.00' },
        { category: 'service', description: '集成与调试', amount: '176000.00' },
      ],
    },
    networked: { before: 1, after: 9 },
    application: { measure: 'fuyang.factory-iot', aboveScale: true },
  },
  hebi: {
    facts: {
      name: '鹤壁市淇滨电器有限公司',
      uscc: '9141061168578103X7',
      region: '410611',
      industry: '3823',
      scale: 'medium',
      sme: true,
      batch: 1,
    },
    register: register('HB', [
      ['钣金折弯机', 'forming', 3],
      ['数控冲床', 'forming', 2],
      ['装配线', 'assembly', 2],
      ['耐压测试台', 'inspection', 3],
      ['喷塑线', 'surface-treatment', 1],
    ]),
    renovation: {
      contract: contract('HB-GZ-2025-066'),
      provider: null,
      items: [
        { category: 'hardware', description: '设备数据采集与车间网络', amount: '268000.00' },
        { category: 'software', description: 'ERP 与 MES 集成', amount: '392000.00' },
        { category: 'service', description: '实施服务', amount: '100000.00' },
      ],
    },
    networked: { before: 2, after: 10 },
    application: { measure: 'hebi.renovation', aboveScale: true },
    // 鹤壁's plan is not dated in the seed document: the bureau gives its publication day.
    params: { 'hebi.publishedOn': '2024-11-15' },
  },
  guangzhou: {
    facts: {
      name: '广州番禺粤驰汽车零部件有限公司',
      uscc: '914401136186042957',
      region: '440113',
      industry: '3670',
      scale: 'small',
      sme: true,
      batch: 1,
    },
    register: register('GZ', [
      ['压铸机', 'moulding', 4],
      ['数控加工中心', 'machine-tool', 6],
      ['清洗机', 'surface-treatment', 1],
      ['气密检测机', 'inspection', 2],
      ['叉车', 'handling', 2],
    ]),
    renovation: {
      contract: contract('GZ-PY-2025-208'),
      provider: null,
      items: [
        { category: 'hardware', description: '压铸与加工设备联网', amount: '244000.00' },
        { category: 'software', description: 'MES 与设备管理系统', amount: '356000.00' },
        { category: 'service', description: '实施服务', amount: '50000.00' },
      ],
    },
    networked: { before: 2, after: 12 },
    application: { measure: 'guangzhou.renovation', aboveScale: true },
    // "一定比例" (穗工信函〔2024〕94号 四(二)5) is the bureau's figure; the demo's is an example.
    params: { 'guangzhou.renovationRate': '0.30' },
  },
} satisfies Record<string, DemoEnterprise>;

export type DemoKey = keyof typeof DEMO_ENTERPRISES;
export const DEMO_KEYS = Object.keys(DEMO_ENTERPRISES) as DemoKey[];
