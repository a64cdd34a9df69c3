/**
 * The shared data model: devices, tags and samples. Every part of shugai (collectors, the
 * gateway, the stores, the assessment) speaks these types. Documented in core/README.md.
 */
import { z } from 'zod';

/** The 16 business scenes of the 2024 indicators (数字化经营), which double as business links (业务环节). */
export const BUSINESS_LINKS = [
  '产品设计',
  '工艺设计',
  '营销管理',
  '售后服务',
  '计划排程',
  '生产管控',
  '质量管理',
  '设备管理',
  '安全生产',
  '能耗管理',
  '采购管理',
  '仓储物流',
  '财务管理',
  '人力资源',
  '协同办公',
  '决策支持',
] as const;
export type BusinessLink = (typeof BUSINESS_LINKS)[number];
export const businessLinkSchema = z
  .enum(BUSINESS_LINKS)
  .describe('A business link (业务环节): one of the 16 scene names of the 2024 indicators');

export const PROTOCOLS = ['opcua', 'modbus', 'mqtt', 'sparkplugb'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DATA_TYPES = ['number', 'integer', 'boolean', 'string'] as const;
/** The value type of a tag as stored: integers stay integers in the store, numbers are floats. */
export type DataType = (typeof DATA_TYPES)[number];

export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1–64 characters: letters, digits, _ . - (not first)');

export const tagSchema = z.object({
  id: idSchema.describe('Tag id, unique within its device, e.g. spindle_speed'),
  type: z.enum(DATA_TYPES).describe('Value type as stored: number (float), integer, boolean or string'),
  unit: z.string().optional().describe('Unit of the value (UCUM-like, e.g. rpm, degC, kWh, Pa)'),
  description: z.string().optional().describe('What the tag measures, for people'),
  businessLinks: z
    .array(businessLinkSchema)
    .optional()
    .describe("The tag's own business links, where they differ from its device's"),
});
export type Tag = z.infer<typeof tagSchema>;

/**
 * An asset number (资产编号) of the enterprise's equipment register (设备台账), e.g. ZC-0007. Full-width
 * letters and digits typed in Chinese input mode are read as their ASCII forms (NFKC), so ＺＣ－０００７
 * and ZC-0007 are one number; otherwise it is compared exactly, case included.
 */
export const assetNumberSchema = z
  .string()
  .trim()
  .normalize('NFKC')
  .regex(
    /^[^\s\p{C}](?:[^\p{C}]{0,62}[^\s\p{C}])?$/u,
    'asset numbers are 1–64 characters, no control characters',
  )
  .describe("Asset number (资产编号) in the enterprise's equipment register (设备台账), e.g. ZC-0007");

export const deviceSchema = z.object({
  id: idSchema.describe('Device id, unique within the gateway, e.g. lathe-01'),
  protocol: z.enum(PROTOCOLS).describe('How the gateway reads this device'),
  businessLinks: z.array(businessLinkSchema).min(1).describe('Business links this device serves'),
  production: z
    .boolean()
    .describe('Whether the device counts as a production device (生产设备) for the networking rate'),
  asset: assetNumberSchema
    .optional()
    .describe(
      "The device's asset number (资产编号) in the enterprise's equipment register (设备台账), e.g. ZC-0007. " +
        'With a register (shugai assess --register), the rates count every production device of the register ' +
        'and a register entry is networked only through the device mapped to it: every production device ' +
        'needs one, and two devices cannot share one',
    ),
  description: z.string().optional(),
  tags: z.array(tagSchema),
});
export type Device = z.infer<typeof deviceSchema>;

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export type Quality = (typeof QUALITIES)[number];
export type SampleValue = number | boolean | string;

/** One reading of one tag. Timestamps are milliseconds since the Unix epoch (UTC). */
export interface Sample {
  device: string;
  tag: string;
  value: SampleValue;
  quality: Quality;
  /** The source's own status code (OPC UA StatusCode, Modbus exception code, …); 0 when good. */
  statusCode: number;
  /** When the source says the value was taken; equals receivedAt when the source gives none. */
  sourceTime: number;
  /** When the gateway received the value. */
  receivedAt: number;
  /**
   * The source says it may have delivered this reading before (an MQTT QoS 1 redelivery, DUP set):
   * ingest then drops it when its tag already has a reading at or after its time (gateway/recent.ts).
   */
  resent?: boolean;
}

/**
 * The status of a value whose source cannot be reached (a lost OPC UA session, a dead Modbus link,
 * a broker gone, a Sparkplug death): OPC UA's BadNoCommunication. The sample carries the last value
 * received, marked bad, so a chart and the OEE stop trusting it.
 */
export const STATUS_NO_COMMUNICATION = 0x80310000;

/**
 * A number no store can hold as a number (NaN, ±Infinity) written as text: "NaN", "Infinity",
 * "-Infinity", which Number() reads back exactly. Such readings are bad-quality samples (ingest).
 */
export function nonFiniteText(value: SampleValue): string | undefined {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : undefined;
}

/** The business links a tag serves: its own where given, else its device's. */
export function tagBusinessLinks(device: Device, tag: Tag): readonly BusinessLink[] {
  return tag.businessLinks ?? device.businessLinks;
}
