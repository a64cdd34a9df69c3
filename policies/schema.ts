/**
 * The shape of a policy document file (documents/<id>.yaml): its dates, the parameters it leaves
 * open, and its measures as conditions and formula pieces, each carrying the article and the words of
 * the seed it comes from. Strict everywhere: an unknown or misspelt key is an error, not ignored.
 * Money and rates are quoted strings in YAML, never floats.
 */
import { z } from 'zod';
import { MONEY_PATTERN } from './money.ts';

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function isCalendarDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export const dateString = z
  .string()
  .refine(isCalendarDate, { message: 'expected a calendar date written YYYY-MM-DD' });
export const moneyString = z
  .string()
  .regex(MONEY_PATTERN, { message: 'expected an amount in yuan as a decimal string, e.g. "300000.00"' });
/** Rates in documents are fractions written as strings: '0.40' for 40%. */
const rateString = z
  .string()
  .regex(/^(0(\.\d+)?|1)$/, { message: "expected a rate as a quoted fraction, e.g. '0.40'" });

/** The seed's own words and where they stand. Tests check every quote against the seed file. */
const cited = { article: z.string().min(1), quote: z.string().min(1) };

export const TIERS = ['国家级', '省级', '市级', '区级', '县级'] as const;
export const FUNDING_SOURCES = ['central', 'province', 'city', 'district'] as const;

/** Case fields a condition or formula may read, with how their values compare. */
export const FIELD_TYPES = {
  'enterprise.industry': 'industry',
  'enterprise.aboveScale': 'boolean',
  'enterprise.sme': 'boolean',
  'investment.total': 'money',
  'investment.automation': 'money',
  'investment.planningFee': 'money',
  'investment.robots': 'money',
  'investment.cloudPaid': 'money',
  'investment.revenue': 'money',
  'investment.provincialSubsidy': 'money',
  levelAfter: 'level',
  batch: 'batch',
  recognition: 'recognition',
} as const;
export type FieldName = keyof typeof FIELD_TYPES;
const fieldName = z.enum(Object.keys(FIELD_TYPES) as [FieldName, ...FieldName[]]);
const moneyField = z.enum(
  (Object.keys(FIELD_TYPES) as FieldName[]).filter((f) => FIELD_TYPES[f] === 'money') as [
    FieldName,
    ...FieldName[],
  ],
);

export const recognitionPattern = z.strictObject({
  name: z.string().min(1),
  tier: z.enum(TIERS).optional(),
  first: z.boolean().optional(),
});
export type RecognitionPattern = z.infer<typeof recognitionPattern>;

const scalar = z.union([z.string(), z.number().int(), z.boolean(), recognitionPattern]);
const bound = z.union([moneyString, z.number().int()]);
const COMPARISONS = ['atLeast', 'moreThan', 'atMost', 'lessThan'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** A GB/T 4754-2017 code in a document: quoted, or YAML reads 3465 as a number and 0610 as 610. */
const industryCode = z
  .string({ error: "an industry code is a quoted GB/T 4754-2017 code, e.g. '3465'" })
  .regex(/^\d{2,4}$/, { message: "an industry code has 2 to 4 digits, e.g. '3465'" });

/**
 * An industry as the document words it and the codes it is read as. Naming codes for a local
 * cluster name (保温杯, 电动(园林)工具) is an interpretation: the reading says why these codes.
 */
export const industryDeclarationSchema = z.strictObject({
  /** The document's own word for the industry; it stands in the condition's quote. */
  wording: z.string().min(1),
  codes: z.array(industryCode).min(1),
  reading: z.string().min(1),
});
export type IndustryDeclaration = z.infer<typeof industryDeclarationSchema>;

const conditionShape = {
  field: fieldName,
  equals: scalar.optional(),
  in: z.array(scalar).min(1).optional(),
  atLeast: bound.optional(),
  moreThan: bound.optional(),
  atMost: bound.optional(),
  lessThan: bound.optional(),
  /** Where the text is ambiguous: the reading chosen and why. */
  reading: z.string().optional(),
  ...cited,
};

function checkCondition(
  c: z.infer<z.ZodObject<typeof conditionShape>> & { industries?: IndustryDeclaration[] },
  ctx: z.RefinementCtx,
): void {
  if (c.field === 'enterprise.industry' || c.industries !== undefined) {
    if (c.field !== 'enterprise.industry' || c.industries === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'enterprise.industry is compared by GB/T 4754-2017 code: a condition of the measure with industries: [{wording, codes, reading}]',
      });
    }
    if ((['equals', 'in', ...COMPARISONS] as const).some((op) => c[op] !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an industry condition has industries and no other operator' });
    }
    return;
  }
  const ops = (['equals', 'in', ...COMPARISONS] as const).filter((op) => c[op] !== undefined);
  if (ops.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `a condition needs exactly one of equals, in, ${COMPARISONS.join(', ')}`,
    });
    return;
  }
  const type = FIELD_TYPES[c.field];
  const op = ops[0]!;
  const compares = (COMPARISONS as readonly string[]).includes(op);
  if (compares && type !== 'money' && type !== 'level') {
    ctx.addIssue({ code: 'custom', message: `${c.field} cannot be compared with ${op}` });
  }
  if (compares && type === 'money' && typeof c[op as Comparison] !== 'string') {
    ctx.addIssue({ code: 'custom', message: `${c.field} bounds are amounts: quote them, e.g. '300000'` });
  }
}

/** A condition of a formula or piece (`when`): never the industry, which is a condition of the measure. */
export const conditionSchema = z.strictObject(conditionShape).superRefine(checkCondition);
export type Condition = z.infer<typeof conditionSchema>;

/** A condition of the measure itself; the industry is one, declared by code. */
export const measureConditionSchema = z
  .strictObject({ ...conditionShape, industries: z.array(industryDeclarationSchema).min(1).optional() })
  .superRefine(checkCondition);
export type MeasureCondition = z.infer<typeof measureConditionSchema>;

const parameterRef = z.strictObject({ parameter: z.string().min(1) });
export type ParameterRef = z.infer<typeof parameterRef>;
const rateValue = z.union([rateString, parameterRef]);

const bracketSchema = z.strictObject({
  threshold: moneyString,
  /** 以上 (atLeast) or 超过 (moreThan): for a marginal scale it only decides whether the rate is read at the edge. */
  bound: z.enum(['atLeast', 'moreThan']),
  rate: rateValue,
  ...cited,
});

/** One formula piece: a rate of a base, a marginal scale of a base, or a fixed sum. */
export const pieceSchema = z
  .strictObject({
    id: z.string().min(1),
    label: z.string().min(1),
    /** The piece counts only when these hold (a separately counted part with its own gate). */
    when: z.array(conditionSchema).optional(),
    base: moneyField.optional(),
    rate: rateValue.optional(),
    brackets: z.array(bracketSchema).min(1).optional(),
    amount: moneyString.optional(),
    /** 'ceiling' for 不超过/最高 (the most payable), 'fixed' where the document states the sum or rate. */
    nature: z.enum(['fixed', 'ceiling']),
    reading: z.string().optional(),
    ...cited,
  })
  .superRefine((p, ctx) => {
    const kinds = [p.rate !== undefined, p.brackets !== undefined, p.amount !== undefined].filter(
      Boolean,
    ).length;
    if (kinds !== 1)
      ctx.addIssue({ code: 'custom', message: 'a piece needs exactly one of rate, brackets, amount' });
    if ((p.rate !== undefined || p.brackets !== undefined) !== (p.base !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'rate and brackets need a base; a fixed amount has none' });
    }
    if (p.brackets) {
      if (p.brackets[0]!.threshold !== '0' || p.brackets[0]!.bound !== 'atLeast') {
        ctx.addIssue({ code: 'custom', message: 'the first bracket starts at 0 (atLeast)' });
      }
      for (let i = 1; i < p.brackets.length; i++) {
        if (Number(p.brackets[i]!.threshold) <= Number(p.brackets[i - 1]!.threshold)) {
          ctx.addIssue({ code: 'custom', message: 'bracket thresholds must increase' });
        }
      }
    }
  });
export type Piece = z.infer<typeof pieceSchema>;

export const SCOPES = ['perProject', 'perAward', 'perEnterprise', 'perEnterprisePerYear'] as const;
export type Scope = (typeof SCOPES)[number];

const ceilingSchema = z.strictObject({ amount: moneyString, scope: z.enum(SCOPES), ...cited });
export type Ceiling = z.infer<typeof ceilingSchema>;

const formulaSchema = z.strictObject({
  label: z.string().min(1),
  when: z.array(conditionSchema).optional(),
  pieces: z.array(pieceSchema).min(1),
  ceilings: z.array(ceilingSchema).optional(),
  /** Paid on top of the ceilings (e.g. "再一次性奖励"). */
  additions: z.array(pieceSchema).optional(),
  /** The sum includes money paid by others (含省市补助): these external payouts are deducted. */
  includesPaid: z.strictObject({ ids: z.array(z.string().min(1)).min(1), ...cited }).optional(),
});
export type Formula = z.infer<typeof formulaSchema>;

export const measureSchema = z.strictObject({
  id: z.string().regex(/^[a-z]+(\.[a-z0-9-]+)+$/, { message: 'ids look like "yongkang.nx-renovation"' }),
  title: z.string().min(1),
  /** The item as the document numbers it: 二(一), 19, 三(三). */
  article: z.string().min(1),
  recipient: z.enum(['enterprise', 'serviceProvider', 'platform']),
  conditions: z.array(measureConditionSchema),
  /** Tried in order; the first whose `when` holds applies. */
  formulas: z.array(formulaSchema).min(1),
  once: z.strictObject({ scope: z.enum(['perEnterprise', 'perEnterprisePerYear']), ...cited }).optional(),
  /** 进档差额: pay the difference from what these measures (and external funds) already paid. */
  tierUpgradeDifference: z.strictObject({ deduct: z.array(z.string().min(1)), ...cited }).optional(),
  funding: z
    .array(z.strictObject({ source: z.enum(FUNDING_SOURCES), weight: z.number().int().positive(), ...cited }))
    .min(1)
    .optional(),
  readings: z.array(z.strictObject({ article: z.string().min(1), text: z.string().min(1) })).optional(),
});
export type Measure = z.infer<typeof measureSchema>;

export const parameterDeclSchema = z.strictObject({
  name: z.string().regex(/^[a-z]+\.[A-Za-z]+$/),
  kind: z.enum(['rate', 'amount', 'date']),
  meaning: z.string().min(1),
  allowed: z.array(z.string()).optional(),
  ...cited,
});
export type ParameterDecl = z.infer<typeof parameterDeclSchema>;

export const documentSchema = z.strictObject({
  /** A family name, and for a later version of the same policy a suffix: fuyang, fuyang-2026. */
  id: z.string().regex(/^[a-z]+(-[a-z0-9]+)*$/),
  /** 文号, where the seed has one. */
  documentNumber: z.string().min(1).nullable(),
  title: z.string().min(1),
  issuer: z.string().min(1),
  /** Names a case's region may start with (永康市; 海曙区 or 宁波市海曙区). */
  region: z.array(z.string().min(1)).min(1),
  issued: dateString.nullable(),
  published: dateString.nullable(),
  validity: z.strictObject({
    from: z.union([dateString, parameterRef]),
    /** null: no end date; years: a period counted from `from` (Civil Code 201–202). */
    to: z.union([dateString, z.null(), z.strictObject({ years: z.number().int().positive() })]),
    reading: z.string().optional(),
    ...cited,
  }),
  source: z.string().min(1),
  parameters: z.array(parameterDeclSchema),
  /** Payments made outside these measures that a 进档差额 or a 含省市补助 ceiling counts. */
  externalPayouts: z
    .array(z.strictObject({ id: z.string().min(1), title: z.string().min(1), ...cited }))
    .optional(),
  /** Money rules about the programme's budget, not a payout to one applicant: recorded, not computed per case. */
  programmeRules: z.array(z.strictObject({ rule: z.string().min(1), why: z.string().min(1), ...cited })),
  /** Rules that name no computable amount (no number, or another policy's). */
  unquantifiedRules: z.array(z.strictObject({ rule: z.string().min(1), ...cited })).optional(),
  measures: z.array(measureSchema).min(1),
});
export type PolicyDocument = z.infer<typeof documentSchema>;
