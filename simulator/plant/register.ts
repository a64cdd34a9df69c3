/**
 * The equipment register (设备台账) of the Yongkang vacuum-cup plant: its 20 simulated machines, and what
 * a real register also lists and the simulator does not serve: two old mechanical presses and a manual
 * packing table in service (never networked), a scrapped lathe and an idle friction press (left out of
 * the rates), an air compressor and a forklift (not production equipment). Meters and sensors are
 * low-value items outside the fixed-asset register, so their devices map to no entry.
 */
import type { RegisterEntry } from '../../assessment/register/schema.ts';

interface Row {
  /** The simulated machine the entry is, if any. */
  machine?: string;
  entry: RegisterEntry;
}

const inService = (
  asset: string,
  name: string,
  type: RegisterEntry['type'],
  workshop: string,
  extra: Partial<RegisterEntry> = {},
): RegisterEntry => ({ asset, name, type, production: true, status: 'in-service', workshop, ...extra });

const ROWS: Row[] = [
  { machine: 'cutter-01', entry: inService('ZC-0001', '数控切管机 1号', 'machine-tool', '下料车间') },
  { machine: 'cutter-02', entry: inService('ZC-0002', '数控切管机 2号', 'machine-tool', '下料车间') },
  { machine: 'press-01', entry: inService('ZC-0003', '液压拉伸机 1号', 'forming', '成型车间') },
  { machine: 'press-02', entry: inService('ZC-0004', '水涨成型机 2号', 'forming', '成型车间') },
  {
    machine: 'lathe-01',
    entry: inService('ZC-0005', '数控车床 1号', 'machine-tool', '金工车间', { line: '杯口线' }),
  },
  {
    machine: 'lathe-02',
    entry: inService('ZC-0006', '数控车床 2号', 'machine-tool', '金工车间', { line: '杯口线' }),
  },
  {
    machine: 'lathe-03',
    entry: inService('ZC-0007', '数控车床 3号', 'machine-tool', '金工车间', { line: '杯底线' }),
  },
  {
    machine: 'lathe-04',
    entry: inService('ZC-0008', '数控车床 4号', 'machine-tool', '金工车间', { line: '杯底线' }),
  },
  { machine: 'welder-01', entry: inService('ZC-0009', '激光焊机 1号', 'welding', '焊接车间') },
  { machine: 'welder-02', entry: inService('ZC-0010', '激光焊机 2号', 'welding', '焊接车间') },
  { machine: 'furnace-01', entry: inService('ZC-0011', '抽真空炉 1号', 'furnace', '真空车间') },
  { machine: 'furnace-02', entry: inService('ZC-0012', '抽真空炉 2号', 'furnace', '真空车间') },
  { machine: 'leak-tester-01', entry: inService('ZC-0013', '保温检测台 1号', 'inspection', '检测车间') },
  { machine: 'leak-tester-02', entry: inService('ZC-0014', '保温检测台 2号', 'inspection', '检测车间') },
  { machine: 'polisher-01', entry: inService('ZC-0015', '抛光单元', 'surface-treatment', '表面处理车间') },
  { machine: 'coating-line-01', entry: inService('ZC-0016', '喷涂线', 'surface-treatment', '表面处理车间') },
  { machine: 'imm-01', entry: inService('ZC-0017', '注塑机 1号', 'moulding', '注塑车间') },
  { machine: 'imm-02', entry: inService('ZC-0018', '注塑机 2号', 'moulding', '注塑车间') },
  { machine: 'imm-03', entry: inService('ZC-0019', '注塑机 3号', 'moulding', '注塑车间') },
  { machine: 'packing-line-01', entry: inService('ZC-0020', '包装线', 'packing', '包装车间') },
  { entry: inService('ZC-0021', '开式冲床', 'forming', '成型车间', { model: 'J23-40' }) },
  { entry: inService('ZC-0022', '开式冲床', 'forming', '成型车间', { model: 'J23-63' }) },
  { entry: inService('ZC-0023', '手工包装台', 'packing', '包装车间') },
  {
    entry: {
      ...inService('ZC-0024', '普通车床', 'machine-tool', '金工车间', { model: 'C6140' }),
      status: 'scrapped',
    },
  },
  {
    entry: {
      ...inService('ZC-0025', '摩擦压力机', 'forming', '成型车间', { model: 'J53-160' }),
      status: 'idle',
    },
  },
  { entry: { ...inService('ZC-0026', '螺杆空压机', 'power', '动力站'), production: false } },
  { entry: { ...inService('ZC-0027', '电动叉车', 'handling', '成品仓库'), production: false } },
];

export const YONGKANG_CUPS_REGISTER: readonly RegisterEntry[] = ROWS.map((r) => r.entry);

/** The asset number of a simulated machine; undefined for meters and sensors. */
export function assetOf(machine: string): string | undefined {
  return ROWS.find((r) => r.machine === machine)?.entry.asset;
}
