/** The enterprise file's shapes, in zod: route validation, serialisation and handler types come from these. */
import { z } from 'zod';
import { dateString, moneyString } from '../../../policies/schema.ts';

export const SCALES = ['micro', 'small', 'medium', 'large'] as const;

export const enterpriseInput = z.strictObject({
  name: z.string().min(1).max(200),
  /** 统一社会信用代码; its check character is verified (GB 32100-2015). */
  uscc: z.string().min(1).max(32),
  /** GB/T 2260 code, 6 digits. */
  region: z.string().min(1).max(16),
  /** GB/T 4754-2017 code, e.g. 3382 (金属制餐具和器皿制造). */
  industry: z.string().min(1).max(16),
  scale: z.enum(SCALES),
  sme: z.boolean(),
  /** The pilot's round (批次) the enterprise is in. */
  batch: z.number().int().min(1).max(99).nullable(),
});
export type EnterpriseInput = z.infer<typeof enterpriseInput>;

export const enterpriseView = enterpriseInput.extend({
  id: z.string(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type EnterpriseView = z.infer<typeof enterpriseView>;

/**
 * One row of the production-equipment register (设备台账), the denominator of the networking rates.
 * The seam to assessment/register/ (its CSV/XLSX/YAML parser, being built beside this): that parser's
 * typed entries are what this accepts; until it lands, entries come as JSON through the API.
 */
export const registerEntry = z.strictObject({
  assetNo: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  /** A production device (counts in the networking rates) or not. */
  production: z.boolean(),
  status: z.string().min(1).max(32),
});
export type RegisterEntry = z.infer<typeof registerEntry>;
export const registerBody = z.strictObject({ entries: z.array(registerEntry).max(20_000) });

export const gatewayInput = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  /** The gateway's Ed25519 public key, PEM (gateway.pub from `shugai gateway init`). */
  publicKey: z.string().min(1).max(4096),
});
export const gatewayView = z.strictObject({
  id: z.string(),
  enterpriseId: z.string(),
  fingerprint: z.string(),
  publicKey: z.string(),
  registeredAt: z.number().int(),
  registeredBy: z.string(),
  /** Where it stores its data (the verifier reads it there); null until recorded. */
  store: z.string().nullable(),
  /** Its config (YAML text): devices and tags, for the machine evidence; null until recorded. */
  config: z.string().nullable(),
});
export type GatewayView = z.infer<typeof gatewayView>;

export const gatewayStoreInput = z.strictObject({
  /**
   * The gateway's store: `http(s)://host:port/DATABASE` (InfluxDB 1.x, or VictoriaMetrics' InfluxDB
   * API; a password from SHUGAI_INFLUX_PASSWORD on the service) or the absolute path of its embedded
   * store (`/var/lib/shugai/samples.db`, as the service's machine sees it).
   */
  store: z
    .string()
    .regex(
      /^(https?:\/\/[^\s/]+\/[^\s/]+|\/\S.*\.db)$/,
      'http(s)://host:port/DATABASE or an absolute path ending .db',
    )
    .max(500),
  /** The gateway's config, YAML text (optional): its devices and tags for the machine evidence. */
  config: z
    .string()
    .min(1)
    .max(1024 * 1024)
    .optional(),
});
export type GatewayStoreInput = z.infer<typeof gatewayStoreInput>;

/** Investment categories, as the payout engine's case names them (policies/case.ts). */
export const INVESTMENT_CATEGORIES = [
  'hardware',
  'software',
  'cloud',
  'automation',
  'robots',
  'planning',
  'service',
  'other',
] as const;

export const renovationInput = z.strictObject({
  contract: z.strictObject({ number: z.string().min(1).max(100), signedOn: dateString }),
  /** The service provider's account name (服务商); null while none is chosen. */
  provider: z.string().min(1).max(64).nullable(),
  items: z
    .array(
      z.strictObject({
        category: z.enum(INVESTMENT_CATEGORIES),
        description: z.string().min(1).max(500),
        /** Yuan, a decimal string with at most two decimals. */
        amount: moneyString,
      }),
    )
    .max(1000),
});
export type RenovationInput = z.infer<typeof renovationInput>;
export const renovationView = renovationInput.extend({
  enterpriseId: z.string(),
  /** The sum of the items, exact. */
  total: moneyString,
  updatedAt: z.number().int(),
});
export type RenovationView = z.infer<typeof renovationView>;

export const assessorInput = z.strictObject({ assessor: z.string().min(1).max(64) });
