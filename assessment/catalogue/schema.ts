/**
 * The shape of a catalogue file (catalogue/<edition>.yaml): dimensions → indicators → items → options
 * with their points, the scenes with their level texts, and the level rule. Strict everywhere: an
 * unknown or misspelt key is an error. Points and rates are decimal strings, never floats.
 */
import { z } from 'zod';
import { BUSINESS_LINKS } from '../../core/model.ts';

export const DECIMAL_PATTERN = /^\d+(\.\d+)?$/;
export const decimalString = z
  .string()
  .regex(DECIMAL_PATTERN, { message: 'expected a non-negative decimal string, e.g. "0.7"' });

/**
 * The doubt about an entry the reference does not confirm, and the same in Chinese for the report
 * (`unverifiedZh`).
 */
const doubt = { unverified: z.string().min(1).optional(), unverifiedZh: z.string().min(1).optional() };

/** Where an entry comes from (an id under `sources`) and, when the reference doubts it, why. */
const sourced = { source: z.string().min(1), ...doubt };

/** A rate band: [atLeast, atMost] or (moreThan, atMost], fractions ('0.10' is 10%). */
const bandSchema = z
  .strictObject({
    atLeast: decimalString.optional(),
    moreThan: decimalString.optional(),
    atMost: decimalString,
  })
  .refine((b) => (b.atLeast === undefined) !== (b.moreThan === undefined), {
    message: 'a band needs exactly one lower bound: atLeast or moreThan',
  });
export type Band = z.infer<typeof bandSchema>;

const optionSchema = z.strictObject({
  id: z.string().regex(/^[\p{L}0-9-]+$/u, { message: 'option ids are letters, digits and -' }),
  text: z.string().min(1),
  points: decimalString,
  /** 无: ticking it excludes every other option of a multi-choice item. */
  exclusive: z.boolean().optional(),
  band: bandSchema.optional(),
  ...doubt,
});
export type Option = z.infer<typeof optionSchema>;

const itemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'item ids look like "device-networking"' }),
  name: z.string().min(1),
  type: z.enum(['single', 'multi']),
  points: decimalString,
  /** A single choice answered by a ratio: the option is the band the ratio falls in. */
  rate: z
    .strictObject({
      formula: z.string().min(1),
      numerator: z.string().min(1),
      denominator: z.string().min(1),
    })
    .optional(),
  note: z.string().min(1).optional(),
  options: z.array(optionSchema).min(1),
  ...sourced,
});
export type Item = z.infer<typeof itemSchema>;

const indicatorSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  points: decimalString,
  items: z.array(itemSchema).min(1),
});

const dimensionSchema = z.strictObject({
  id: z.enum(['foundation', 'management', 'results']),
  name: z.string().min(1),
  points: decimalString,
  indicators: z.array(indicatorSchema).min(1),
  ...sourced,
});
export type Dimension = z.infer<typeof dimensionSchema>;

const sceneSchema = z.strictObject({
  name: z.enum(BUSINESS_LINKS),
  /** 约束性 (★) when true, 指导性 when false. */
  constraining: z.boolean(),
  /** The official texts of levels 1–4, in order. */
  levels: z.array(z.string().min(1)).length(4),
  ...sourced,
});
export type Scene = z.infer<typeof sceneSchema>;

const levelSchema = z.strictObject({
  level: z.number().int().min(1).max(4),
  name: z.string().min(1),
  descriptor: z.string().min(1).optional(),
  minScore: decimalString,
  /** Scenes rated at this level or above, and how many of them constraining; absent in points-only editions. */
  scenes: z.number().int().min(0).optional(),
  constrainingScenes: z.number().int().min(0).optional(),
});
export type LevelCondition = z.infer<typeof levelSchema>;

export const catalogueSchema = z.strictObject({
  edition: z.string().regex(/^\d{4}$/),
  title: z.string().min(1),
  documentNumber: z.string().min(1),
  issued: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable(),
  sources: z
    .array(z.strictObject({ id: z.string().min(1), title: z.string().min(1), location: z.string().min(1) }))
    .min(1),
  dimensions: z.array(dimensionSchema),
  sceneGroups: z.array(z.strictObject({ name: z.string().min(1), scenes: z.array(sceneSchema).min(1) })),
  levelRule: z.strictObject({ levels: z.array(levelSchema).min(1), ...sourced }),
});
export type CatalogueFile = z.infer<typeof catalogueSchema>;
