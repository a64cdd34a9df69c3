import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { caseTests } from '../testcases.ts';
import { BYTE_ORDERS } from './codec.ts';
import {
  BadRanges,
  DEFAULT_LIMITS,
  type FunctionCode,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  type PlanLimits,
  planReads,
  type TagRead,
} from './planner.ts';
import { resolveTags } from './resolve.ts';
import { modbusTagSchema } from './schema.ts';

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testcases');

const caseInput = z.object({
  description: z.string(),
  addressBase: z.union([z.literal(0), z.literal(1)]),
  unitId: z.number().int(),
  order: z.enum(BYTE_ORDERS).default('ABCD'),
  maxGap: z.number().int().default(DEFAULT_LIMITS.maxGap),
  maxReadRegisters: z.number().int().default(MAX_READ_REGISTERS),
  maxReadBits: z.number().int().default(MAX_READ_BITS),
  badRanges: z
    .array(z.object({ function: z.number().int(), start: z.number().int(), end: z.number().int() }))
    .default([]),
  tags: z.array(modbusTagSchema),
});
const caseExpected = z.array(
  z.object({
    unitId: z.number().int().optional(),
    function: z.number().int(),
    address: z.number().int(),
    count: z.number().int(),
    tags: z.array(z.string()),
  }),
);

describe('read planner regression cases (testcases/<case>/input.yaml → expected.yaml)', () => {
  caseTests(CASES, { input: caseInput, expected: caseExpected }, 8, (input, expected) => {
    const bad = new BadRanges();
    for (const r of input.badRanges) bad.add(input.unitId, r.function as FunctionCode, r.start, r.end);
    const reads = resolveTags(input.unitId, input.addressBase, input.order, input.tags);
    const plan = planReads(reads, input, bad);
    expect(
      plan.map((r) => ({
        unitId: r.unitId,
        function: r.fn,
        address: r.address,
        count: r.count,
        tags: r.reads.map((x) => x.ref.id),
      })),
      input.description,
    ).toEqual(expected.map((e) => ({ unitId: input.unitId, ...e })));
  });
});

const read = (unitId: number, fn: FunctionCode, address: number, count = 1): TagRead<string> => ({
  unitId,
  fn,
  address,
  count,
  ref: `${unitId}/${fn}/${address}`,
});

describe('planReads', () => {
  it('uses the protocol limits: 125 registers and 2000 coils per request', () => {
    const registers = Array.from({ length: 251 }, (_, i) => read(1, 3, i));
    expect(planReads(registers).map((r) => [r.address, r.count])).toEqual([
      [0, 125],
      [125, 125],
      [250, 1],
    ]);
    const coils = Array.from({ length: 4001 }, (_, i) => read(1, 1, i));
    expect(planReads(coils).map((r) => [r.address, r.count])).toEqual([
      [0, 2000],
      [2000, 2000],
      [4000, 1],
    ]);
  });

  it('plans per unit id and function code, sorted', () => {
    const plan = planReads([read(2, 3, 0), read(1, 4, 0), read(1, 3, 1), read(1, 3, 0)]);
    expect(plan.map((r) => [r.unitId, r.fn, r.address, r.count])).toEqual([
      [1, 3, 0, 2],
      [1, 4, 0, 1],
      [2, 3, 0, 1],
    ]);
  });

  it('returns nothing for no reads', () => {
    expect(planReads([])).toEqual([]);
  });

  it('finds the fewest requests where cutting greedily from the left does not', () => {
    // Greedy takes [0..4] (a 5-register tag then the 1-register tag inside the gap limit) and is then
    // forced into two more requests; the optimum is two requests.
    const limits: PlanLimits = { maxGap: 2, maxReadRegisters: 6, maxReadBits: MAX_READ_BITS };
    const reads = [read(1, 3, 0, 2), read(1, 3, 2, 1), read(1, 3, 4, 4), read(1, 3, 8, 2)];
    expect(planReads(reads, limits).length).toBe(bruteForceMinimum(reads, limits, new BadRanges()));
  });

  it('matches an exhaustive search over every grouping on random layouts', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 1000; trial++) {
      const limits: PlanLimits = {
        maxGap: Math.floor(random() * 4),
        maxReadRegisters: 3 + Math.floor(random() * 6),
        maxReadBits: MAX_READ_BITS,
      };
      const n = 1 + Math.floor(random() * 7);
      const reads = Array.from({ length: n }, () =>
        read(1, 3, Math.floor(random() * 16), 1 + Math.floor(random() * 3)),
      );
      const bad = new BadRanges();
      if (random() < 0.3) {
        const start = Math.floor(random() * 16);
        bad.add(1, 3, start, start + Math.floor(random() * 3));
      }
      const plan = planReads(reads, limits, bad);
      expect(plan.flatMap((r) => r.reads).length).toBe(n);
      for (const request of plan) expect(feasible(request.reads, limits, bad)).toBe(true);
      expect(plan.length, JSON.stringify({ reads, limits, bad: bad.list() })).toBe(
        bruteForceMinimum(reads, limits, bad),
      );
    }
  });
});

describe('BadRanges', () => {
  it('blocks spans over a refused range or across a cut', () => {
    const bad = new BadRanges();
    bad.add(1, 3, 10, 12);
    bad.add(1, 3, 20, 20);
    bad.add(1, 3, 10, 12);
    expect(bad.size).toBe(2);
    expect(bad.blocks(1, 3, 0, 11)).toBe(true);
    expect(bad.blocks(1, 3, 0, 10)).toBe(false);
    expect(bad.blocks(1, 3, 12, 20)).toBe(false);
    expect(bad.blocks(1, 3, 19, 21)).toBe(true);
    expect(bad.blocks(1, 4, 0, 100)).toBe(false);
    expect(bad.blocks(2, 3, 0, 100)).toBe(false);
  });
});

/** The planner's rules restated independently: span, gaps between covered stretches, bad ranges. */
function feasible(reads: readonly TagRead<string>[], limits: PlanLimits, bad: BadRanges): boolean {
  const sorted = [...reads].sort((a, b) => a.address - b.address);
  const first = sorted[0]!;
  if (reads.length === 1) return true;
  let end = first.address;
  for (const r of sorted) {
    if (r.address - end > limits.maxGap) return false;
    end = Math.max(end, r.address + r.count);
  }
  return (
    end - first.address <= limits.maxReadRegisters && !bad.blocks(first.unitId, first.fn, first.address, end)
  );
}

/** The fewest requests over every partition of the reads into groups (Bell-number search, n ≤ 8). */
function bruteForceMinimum(reads: readonly TagRead<string>[], limits: PlanLimits, bad: BadRanges): number {
  let best = reads.length;
  const groups: TagRead<string>[][] = [];
  const place = (i: number) => {
    if (groups.length >= best) return;
    if (i === reads.length) {
      // Checked only when complete: a read placed later can fill a gap that made a group infeasible.
      if (groups.every((g) => feasible(g, limits, bad))) best = groups.length;
      return;
    }
    const r = reads[i]!;
    for (const group of groups) {
      group.push(r);
      place(i + 1);
      group.pop();
    }
    groups.push([r]);
    place(i + 1);
    groups.pop();
  };
  place(0);
  return best;
}
