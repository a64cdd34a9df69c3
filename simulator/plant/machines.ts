/**
 * The machines of the Yongkang vacuum-cup plant: 20 production machines across the steps of
 * /work/shared/domain/demo-factory.md. Older machines stop more often and fault more.
 */
import type { AlarmDef, MachineDef, MachineKind, PowerProfile } from './types.ts';

const ALARMS: Record<MachineKind, AlarmDef[]> = {
  cutter: [
    { code: 3001, text: 'Blade worn 锯片磨损', group: 'blade' },
    { code: 3002, text: 'Blade broken 锯片断裂', group: 'blade' },
    { code: 3003, text: 'Tube feed jam 送料卡管' },
  ],
  press: [
    { code: 4001, text: 'Hydraulic pressure low 液压压力低' },
    { code: 4002, text: 'Light curtain interrupted 光幕遮挡' },
    { code: 4003, text: 'Oil temperature high 油温过高' },
  ],
  lathe: [
    { code: 1001, text: 'Spindle overload 主轴过载' },
    { code: 1002, text: 'Tool breakage detected 刀具破损' },
    { code: 1003, text: 'Coolant level low 冷却液位低' },
    { code: 1004, text: 'X-axis servo alarm X轴伺服报警' },
  ],
  welder: [
    { code: 5001, text: 'Laser source fault 激光器故障' },
    { code: 5002, text: 'Shielding gas flow low 保护气流量低' },
    { code: 5003, text: 'Chiller alarm 冷水机报警' },
  ],
  furnace: [
    { code: 6001, text: 'Vacuum leak 真空泄漏' },
    { code: 6002, text: 'Heating element fault 加热元件故障' },
    { code: 6003, text: 'Thermocouple open 热电偶断线' },
  ],
  'leak-tester': [{ code: 8001, text: 'Water heater fault 热水器故障' }],
  polisher: [{ code: 8101, text: 'Wheel motor overload 抛光轮电机过载' }],
  'coating-line': [{ code: 8201, text: 'Curing oven over temperature 固化炉超温' }],
  imm: [
    { code: 2001, text: 'Barrel heater zone 3 fault 料筒加热区3故障' },
    { code: 2002, text: 'Mould protection triggered 模具保护' },
    { code: 2003, text: 'Hydraulic oil temperature high 液压油温高' },
    { code: 2004, text: 'Nozzle blocked 喷嘴堵塞' },
  ],
  'packing-line': [
    { code: 7001, text: 'Carton jam 纸箱卡住' },
    { code: 7002, text: 'Label printer fault 标签机故障' },
  ],
};

const POWER: Record<MachineKind, PowerProfile> = {
  cutter: { running: 7.5, warmup: 7.5, idle: 1.2, off: 0.1 },
  press: { running: 22, warmup: 15, idle: 6, off: 0.2 },
  lathe: { running: 11, warmup: 11, idle: 2.5, off: 0.15 },
  welder: { running: 9, warmup: 9, idle: 3, off: 0.1 },
  // The furnace's running power follows its batch phases (below); ramp-up draws the most.
  furnace: { running: 76, warmup: 180, idle: 25, off: 0.5 },
  'leak-tester': { running: 3, warmup: 3, idle: 2, off: 0.05 },
  polisher: { running: 5.5, warmup: 5.5, idle: 1, off: 0.1 },
  'coating-line': { running: 45, warmup: 60, idle: 30, off: 0.5 },
  imm: { running: 18, warmup: 25, idle: 7, off: 0.2 },
  'packing-line': { running: 6, warmup: 6, idle: 1.5, off: 0.1 },
};

const FURNACE_PHASES = [
  { name: 'load', minutes: 15, kw: 20 },
  { name: 'ramp', minutes: 45, kw: 180 },
  { name: 'hold', minutes: 40, kw: 75 },
  { name: 'cool', minutes: 30, kw: 12 },
] as const;

interface Spec {
  id: string;
  kind: MachineKind;
  description: string;
  age: number;
  cycleSeconds: number;
  partsPerCycle?: number;
  nominal?: Record<string, number>;
}

const KIND: Record<
  MachineKind,
  Pick<MachineDef, 'businessLinks' | 'shifts' | 'warmupMinutes' | 'scrap'> & { setupWeight: number }
> = {
  cutter: {
    businessLinks: ['生产管控', '设备管理'],
    shifts: 'day-shift',
    warmupMinutes: 0,
    scrap: [0.01, 0.02],
    setupWeight: 2,
  },
  press: {
    businessLinks: ['生产管控', '设备管理'],
    shifts: 'day-shift',
    warmupMinutes: 15,
    scrap: [0.01, 0.025],
    setupWeight: 1,
  },
  lathe: {
    businessLinks: ['生产管控', '设备管理'],
    shifts: 'two-shift',
    warmupMinutes: 0,
    scrap: [0.01, 0.03],
    setupWeight: 3,
  },
  welder: {
    businessLinks: ['生产管控', '设备管理', '质量管理'],
    shifts: 'two-shift',
    warmupMinutes: 0,
    scrap: [0.015, 0.04],
    setupWeight: 1,
  },
  furnace: {
    businessLinks: ['生产管控', '能耗管理'],
    shifts: 'two-shift',
    warmupMinutes: 45,
    scrap: [0.01, 0.02],
    setupWeight: 0.5,
  },
  'leak-tester': {
    businessLinks: ['质量管理'],
    shifts: 'day-shift',
    warmupMinutes: 0,
    scrap: [0.01, 0.04],
    setupWeight: 0.5,
  },
  polisher: {
    businessLinks: ['生产管控'],
    shifts: 'day-shift',
    warmupMinutes: 0,
    scrap: [0.01, 0.02],
    setupWeight: 2,
  },
  'coating-line': {
    businessLinks: ['生产管控', '能耗管理', '安全生产'],
    shifts: 'two-shift',
    warmupMinutes: 30,
    scrap: [0.01, 0.03],
    setupWeight: 1,
  },
  imm: {
    businessLinks: ['生产管控', '设备管理', '质量管理'],
    shifts: 'two-shift',
    warmupMinutes: 20,
    scrap: [0.01, 0.04],
    setupWeight: 2,
  },
  'packing-line': {
    businessLinks: ['生产管控', '仓储物流'],
    shifts: 'two-shift',
    warmupMinutes: 0,
    scrap: [0.01, 0.015],
    setupWeight: 0.5,
  },
};

function machine(spec: Spec): MachineDef {
  const kind = KIND[spec.kind];
  return {
    id: spec.id,
    kind: spec.kind,
    description: spec.description,
    businessLinks: kind.businessLinks,
    age: spec.age,
    shifts: kind.shifts,
    cycleSeconds: spec.cycleSeconds,
    partsPerCycle: spec.partsPerCycle ?? 1,
    warmupMinutes: kind.warmupMinutes,
    // Roughly one stop in 12 hours for a new machine, one in 4 for a 14-year-old one.
    stopChancePerHour: 0.06 + 0.015 * spec.age,
    stopCauses: { setup: kind.setupWeight, starved: 1, fault: 1 + spec.age / 5 },
    power: POWER[spec.kind],
    scrap: kind.scrap,
    alarms: ALARMS[spec.kind],
    ...(spec.kind === 'furnace' ? { phases: FURNACE_PHASES } : {}),
    nominal: spec.nominal ?? {},
  };
}

const furnaceCycle = FURNACE_PHASES.reduce((s, p) => s + p.minutes, 0) * 60;
const FURNACE_NOMINAL = { loadTemp: 120, holdTemp: 580, standbyTemp: 350 };

const SPECS: Spec[] = [
  { id: 'cutter-01', kind: 'cutter', description: 'CNC tube cutter 1 数控切管机', age: 9, cycleSeconds: 4 },
  { id: 'cutter-02', kind: 'cutter', description: 'CNC tube cutter 2 数控切管机', age: 3, cycleSeconds: 3.5 },
  {
    id: 'press-01',
    kind: 'press',
    description: 'Hydraulic drawing press 1 液压拉伸机',
    age: 12,
    cycleSeconds: 9,
    nominal: { pressureMpa: 20, oilTemp: 48 },
  },
  {
    id: 'press-02',
    kind: 'press',
    description: 'Hydro-forming press 2 水涨成型机',
    age: 5,
    cycleSeconds: 12,
    nominal: { pressureMpa: 24, oilTemp: 46 },
  },
  {
    id: 'lathe-01',
    kind: 'lathe',
    description: 'CNC lathe 1, cup mouth 数控车床',
    age: 2,
    cycleSeconds: 45,
    nominal: { spindleRpm: 2800, spindleTemp: 41 },
  },
  {
    id: 'lathe-02',
    kind: 'lathe',
    description: 'CNC lathe 2, cup mouth 数控车床',
    age: 4,
    cycleSeconds: 45,
    nominal: { spindleRpm: 2800, spindleTemp: 43 },
  },
  {
    id: 'lathe-03',
    kind: 'lathe',
    description: 'CNC lathe 3, cup base 数控车床',
    age: 11,
    cycleSeconds: 38,
    nominal: { spindleRpm: 2200, spindleTemp: 46 },
  },
  {
    id: 'lathe-04',
    kind: 'lathe',
    description: 'CNC lathe 4, cup base 数控车床',
    age: 14,
    cycleSeconds: 40,
    nominal: { spindleRpm: 2200, spindleTemp: 48 },
  },
  {
    id: 'welder-01',
    kind: 'welder',
    description: 'Laser welder 1, inner/outer wall 激光焊机',
    age: 3,
    cycleSeconds: 20,
    nominal: { laserW: 1500, gasLpm: 15 },
  },
  {
    id: 'welder-02',
    kind: 'welder',
    description: 'Laser welder 2, inner/outer wall 激光焊机',
    age: 6,
    cycleSeconds: 22,
    nominal: { laserW: 1200, gasLpm: 12 },
  },
  {
    id: 'furnace-01',
    kind: 'furnace',
    description: 'Vacuum furnace 1 抽真空炉',
    age: 7,
    cycleSeconds: furnaceCycle,
    partsPerCycle: 400,
    nominal: FURNACE_NOMINAL,
  },
  {
    id: 'furnace-02',
    kind: 'furnace',
    description: 'Vacuum furnace 2 抽真空炉',
    age: 2,
    cycleSeconds: furnaceCycle,
    partsPerCycle: 400,
    nominal: FURNACE_NOMINAL,
  },
  {
    id: 'leak-tester-01',
    kind: 'leak-tester',
    description: 'Insulation test station 1 保温检测台',
    age: 5,
    cycleSeconds: 30,
    partsPerCycle: 12,
  },
  {
    id: 'leak-tester-02',
    kind: 'leak-tester',
    description: 'Insulation test station 2 保温检测台',
    age: 5,
    cycleSeconds: 30,
    partsPerCycle: 12,
  },
  { id: 'polisher-01', kind: 'polisher', description: 'Polishing cell 抛光单元', age: 10, cycleSeconds: 25 },
  {
    id: 'coating-line-01',
    kind: 'coating-line',
    description: 'Spray coating line with curing oven 喷涂线',
    age: 6,
    cycleSeconds: 3,
    nominal: { ovenTemp: 200 },
  },
  {
    id: 'imm-01',
    kind: 'imm',
    description: 'Injection moulding machine 1, lids 注塑机',
    age: 4,
    cycleSeconds: 14,
    partsPerCycle: 8,
    nominal: { barrelTemp: 230, mouldTemp: 55 },
  },
  {
    id: 'imm-02',
    kind: 'imm',
    description: 'Injection moulding machine 2, seals 注塑机',
    age: 8,
    cycleSeconds: 18,
    partsPerCycle: 4,
    nominal: { barrelTemp: 215, mouldTemp: 50 },
  },
  {
    id: 'imm-03',
    kind: 'imm',
    description: 'Injection moulding machine 3, lids 注塑机',
    age: 13,
    cycleSeconds: 22,
    partsPerCycle: 2,
    nominal: { barrelTemp: 240, mouldTemp: 60 },
  },
  {
    id: 'packing-line-01',
    kind: 'packing-line',
    description: 'Packing line 包装线',
    age: 2,
    cycleSeconds: 1.5,
  },
];

export const MACHINES: readonly MachineDef[] = SPECS.map(machine);
