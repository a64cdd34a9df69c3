/**
 * The enterprise's production-equipment register (设备台账) as shugai reads it: one entry per device,
 * networked or not, with its asset number, name, type, whether it is production equipment and its
 * status. The words a register may use for each field, type and status are data here, so the README's
 * tables and the parser cannot disagree (register.test.ts checks the README).
 */
import { z } from 'zod';
import { assetNumberSchema } from '../../core/model.ts';

/**
 * Device types, after the classes of the machinery industry's equipment classification (金属切削机床,
 * 锻压设备, 起重运输设备, 动力设备, 工业炉窑, …) with the classes a light-industry SME needs split out.
 * A register may write the id, the Chinese name or one of the other words.
 */
export const DEVICE_TYPES = [
  {
    id: 'machine-tool',
    zh: '金属切削机床',
    also: [
      '机床',
      '数控机床',
      '车床',
      '数控车床',
      '铣床',
      '钻床',
      '磨床',
      '镗床',
      '加工中心',
      '切管机',
      '锯床',
    ],
  },
  {
    id: 'forming',
    zh: '锻压设备',
    also: ['压力机', '冲床', '液压机', '油压机', '拉伸机', '折弯机', '剪板机', '锻压机'],
  },
  { id: 'welding', zh: '焊接设备', also: ['焊机', '焊接机', '激光焊机'] },
  { id: 'furnace', zh: '工业炉窑', also: ['热处理设备', '热处理炉', '真空炉', '烘箱', '窑炉'] },
  { id: 'moulding', zh: '注塑成型设备', also: ['注塑机', '塑料机械', '吹塑机'] },
  { id: 'surface-treatment', zh: '表面处理设备', also: ['抛光机', '喷涂设备', '涂装设备', '喷涂线'] },
  { id: 'assembly', zh: '装配设备', also: ['装配线'] },
  { id: 'packing', zh: '包装设备', also: ['包装机', '包装线', '打包机'] },
  { id: 'inspection', zh: '检测试验设备', also: ['检测设备', '试验设备', '检测台'] },
  { id: 'handling', zh: '起重运输设备', also: ['叉车', '起重机', '行车', '输送线', 'AGV'] },
  { id: 'power', zh: '动力设备', also: ['空压机', '空气压缩机', '锅炉', '变压器', '发电机'] },
  { id: 'instrument', zh: '仪器仪表', also: ['仪表', '电表', '传感器', '计量器具'] },
  { id: 'it', zh: '信息化设备', also: ['服务器', '计算机', '网络设备'] },
  { id: 'other', zh: '其他设备', also: ['其他'] },
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number]['id'];

/**
 * Statuses (使用状态). Only `in-service` counts in the rates' denominator. As in fixed-asset accounting,
 * a machine on standby or stopped for repair is in service (在用); idle, sealed and scrapped machines
 * are left out, and the evidence lists them so an assessor sees what was left out and why.
 */
export const EQUIPMENT_STATUSES = [
  { id: 'in-service', zh: '在用', also: ['使用中', '正常', '完好', '备用', '在修', '维修', '待修'] },
  { id: 'idle', zh: '闲置', also: ['未使用', '停用', '不需用'] },
  { id: 'sealed', zh: '封存', also: [] },
  { id: 'scrapped', zh: '报废', also: ['已报废', '待报废', '已处置'] },
] as const;
export type EquipmentStatus = (typeof EQUIPMENT_STATUSES)[number]['id'];

/** 是/否 in the production column. */
export const YES = ['是', 'yes', 'y', 'true', '1'] as const;
export const NO = ['否', 'no', 'n', 'false', '0'] as const;

/**
 * The fields, each with the column headers a CSV or XLSX register may use for it (compared without
 * case, spaces, a trailing `*` or a note in brackets: `是否生产设备（是/否）` is `是否生产设备`). The
 * YAML form uses the ids as keys.
 */
export const REGISTER_FIELDS = [
  { id: 'asset', required: true, headers: ['资产编号', '固定资产编号', '设备编号', 'asset'] },
  { id: 'name', required: true, headers: ['设备名称', '名称', 'name'] },
  { id: 'type', required: true, headers: ['设备类型', '设备类别', '设备分类', 'type'] },
  { id: 'production', required: true, headers: ['是否生产设备', '生产设备', 'production'] },
  { id: 'status', required: false, headers: ['使用状态', '设备状态', '状态', 'status'] },
  { id: 'workshop', required: false, headers: ['车间', '使用车间', 'workshop'] },
  { id: 'line', required: false, headers: ['产线', '生产线', 'line'] },
  { id: 'model', required: false, headers: ['规格型号', '型号', 'model'] },
] as const;
export type RegisterField = (typeof REGISTER_FIELDS)[number]['id'];

const ids = <T extends { id: string }>(list: readonly T[]) =>
  list.map((x) => x.id) as [T['id'], ...T['id'][]];

export const registerEntrySchema = z.strictObject({
  asset: assetNumberSchema,
  name: z.string().min(1),
  type: z.enum(ids(DEVICE_TYPES)),
  /** 生产设备: only production equipment is in the rates. */
  production: z.boolean(),
  status: z.enum(ids(EQUIPMENT_STATUSES)),
  workshop: z.string().min(1).optional(),
  line: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
});
export type RegisterEntry = z.infer<typeof registerEntrySchema>;

export const registerSchema = z.strictObject({
  /** The file name it was read from, as given (for messages and the report). */
  file: z.string(),
  entries: z.array(registerEntrySchema).min(1),
});
export type Register = z.infer<typeof registerSchema>;

/** Whether an entry is in the denominator of the networking and digitization rates. */
export const countsInRates = (e: RegisterEntry): boolean => e.production && e.status === 'in-service';

export const typeName = (id: DeviceType): string => DEVICE_TYPES.find((t) => t.id === id)!.zh;
export const statusName = (id: EquipmentStatus): string => EQUIPMENT_STATUSES.find((s) => s.id === id)!.zh;
