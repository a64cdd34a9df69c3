import { z } from 'zod';
import { expected } from '../../core/input.ts';
import { duration } from '../config/units.ts';

export const MACHINE_STATES = ['running', 'idle', 'planned_stop', 'fault', 'offline'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

type Condition =
  | { tag: string; op: '==' | '!=' | '>' | '>=' | '<' | '<='; value: number | boolean | string }
  | { all: Condition[] }
  | { any: Condition[] };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z
      .object({
        tag: z.string().describe('A tag of the same device (its latest good value)'),
        op: z.enum(['==', '!=', '>', '>=', '<', '<=']),
        value: z.union([z.number(), z.boolean(), z.string()]),
      })
      .strict(),
    z.object({ all: z.array(conditionSchema).min(1) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1) }).strict(),
  ]),
);
export type { Condition };

export const machineStateSchema = z
  .object({
    device: z.string().describe('The device whose state is derived'),
    tag: z
      .string()
      .default('machine_state')
      .describe(
        'The derived tag written (a string: running, idle, planned_stop, fault, offline); must not be a tag the device reads',
      ),
    rules: z
      .array(z.object({ state: z.enum(MACHINE_STATES), when: conditionSchema }).strict())
      .min(1)
      .describe('Checked in order; the first that holds gives the state'),
    otherwise: z.enum(MACHINE_STATES).default('idle').describe('The state when no rule holds'),
    offlineAfter: duration.default(30_000).describe('No good sample for this long → offline'),
  })
  .strict();

export const counterSchema = z
  .object({
    device: z.string(),
    tag: z.string().describe('The raw counter tag as the controller reports it'),
    output: z.string().describe('The derived tag: a running total with resets and rollovers accounted for'),
    rollover: z
      .number()
      .positive()
      .optional()
      .describe(
        'The largest value before the counter wraps to 0 (65535 for 16 bits); absent = it never wraps',
      ),
  })
  .strict();

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
  error: (issue) => expected('a time of day HH:MM (24-hour), e.g. 08:00 or 20:30', issue.input),
});

export const shiftSchema = z
  .object({
    name: z.string(),
    start: timeOfDay,
    end: timeOfDay,
  })
  .strict();

export const oeeSchema = z
  .object({
    device: z.string(),
    totalCount: z.string().describe('Derived counter tag of all parts made (good and scrap)'),
    scrapCount: z.string().optional().describe('Derived counter tag of scrap parts'),
    idealCycleTime: duration.describe('Ideal time for one part, e.g. 30s'),
    shifts: z.array(shiftSchema).min(1).describe('Shifts in local time; a shift may run past midnight'),
    timezone: z.string().default('Asia/Shanghai'),
    every: duration
      .default(60_000)
      .describe('How often the running figures of the current shift are written'),
  })
  .strict();

export const derivedSchema = z
  .object({
    machineState: z.array(machineStateSchema).default([]),
    counters: z.array(counterSchema).default([]),
    oee: z.array(oeeSchema).default([]),
  })
  .strict();
export type DerivedConfig = z.infer<typeof derivedSchema>;
