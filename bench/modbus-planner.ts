/**
 * Modbus read planner bench: requests planned for a 10,000-register tag map against the exact
 * minimum, for a few layouts, next to two baselines modelled on other gateways:
 *   - contiguous only: merge only touching reads (Telegraf's default optimization "none"; Neuron);
 *   - greedy fill: cut from the left, filling gaps up to maxGap (Telegraf's "max_insert").
 * The exact minimum comes from a shortest-path search over the reads in address order, written
 * here independently of the planner (planner.test.ts checks that such plans are optimal against
 * an exhaustive search on small layouts). A lower bound (registers of tags per cluster / 125) is
 * printed too: where the plan meets it, no plan at all can do better.
 *
 *   node --import tsx bench/modbus-planner.ts           # 10,000 registers per layout
 *   node --import tsx bench/modbus-planner.ts --smoke   # 1,000; exits 1 if any ratio is not 1.00
 */
import { performance } from 'node:perf_hooks';
import {
  BadRanges,
  DEFAULT_MAX_GAP,
  type FunctionCode,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  planReads,
  type TagRead,
} from '../collector/modbus/planner.ts';

const smoke = process.argv.includes('--smoke');
const REGISTERS = smoke ? 1_000 : 10_000;
const limits = { maxGap: DEFAULT_MAX_GAP, maxReadRegisters: MAX_READ_REGISTERS, maxReadBits: MAX_READ_BITS };

let seed = 20_240_601;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
}

type Read = TagRead<number>;
const read = (fn: FunctionCode, address: number, count: number, ref: number): Read => ({
  unitId: 1,
  fn,
  address,
  count,
  ref,
});

/** Layouts, each filling about REGISTERS registers. */
const layouts: Record<string, () => Read[]> = {
  'contiguous uint16': () => Array.from({ length: REGISTERS }, (_, i) => read(3, i, 1, i)),
  'contiguous float32': () => Array.from({ length: REGISTERS / 2 }, (_, i) => read(3, 2 * i, 2, i)),
  'blocks with gaps 0–120': () => {
    const out: Read[] = [];
    let address = 0;
    for (let used = 0; used < REGISTERS; ) {
      const block = 5 + Math.floor(random() * 40);
      for (let i = 0; i < block; i++) out.push(read(3, address + i, 1, out.length));
      used += block;
      address += block + Math.floor(random() * 121);
    }
    return out;
  },
  'mixed types, coils, sparse': () => {
    const out: Read[] = [];
    let address = 0;
    const widths = [1, 1, 2, 2, 4, 8];
    for (let used = 0; used < REGISTERS; ) {
      const width = widths[Math.floor(random() * widths.length)]!;
      out.push(read(random() < 0.5 ? 3 : 4, address, width, out.length));
      if (random() < 0.2) out.push(read(3, address, 1, out.length)); // a bit of the same register
      used += width;
      address += width + (random() < 0.8 ? 0 : Math.floor(random() * 80));
    }
    for (let i = 0; i < REGISTERS / 4; i++) out.push(read(1, i * (random() < 0.9 ? 1 : 50), 1, out.length));
    return out;
  },
};

function groups(reads: Read[]): Read[][] {
  const byFn = new Map<FunctionCode, Read[]>();
  for (const r of reads) byFn.set(r.fn, [...(byFn.get(r.fn) ?? []), r]);
  return [...byFn.values()].map((g) => g.sort((a, b) => a.address - b.address || a.count - b.count));
}

const spanLimit = (fn: FunctionCode) => (fn <= 2 ? MAX_READ_BITS : MAX_READ_REGISTERS);
const gapLimit = (fn: FunctionCode) => (fn <= 2 ? DEFAULT_MAX_GAP * 16 : DEFAULT_MAX_GAP);

/** Breadth-first search: fewest groups of consecutive reads, each within span and gap limits. */
function exactMinimum(sorted: Read[], maxGap: number): number {
  const n = sorted.length;
  const distance = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  distance[0] = 0;
  for (let i = 0; i < n; i++) {
    const start = sorted[i]!.address;
    let end = start;
    for (let j = i; j < n; j++) {
      const r = sorted[j]!;
      if (j > i && r.address - end > maxGap) break;
      end = Math.max(end, r.address + r.count);
      if (end - start > spanLimit(r.fn)) break;
      distance[j + 1] = Math.min(distance[j + 1]!, distance[i]! + 1);
    }
  }
  return distance[n]!;
}

function greedy(sorted: Read[], maxGap: number): number {
  let requests = 0;
  let start = Number.NaN;
  let end = Number.NaN;
  for (const r of sorted) {
    const newEnd = Math.max(end, r.address + r.count);
    if (requests > 0 && r.address - end <= maxGap && newEnd - start <= spanLimit(r.fn)) {
      end = newEnd;
      continue;
    }
    requests += 1;
    start = r.address;
    end = r.address + r.count;
  }
  return requests;
}

/** Each request reads at most 125 registers of tags; clusters split where gaps exceed maxGap. */
function lowerBound(sorted: Read[], maxGap: number): number {
  let bound = 0;
  let covered = 0;
  let end = sorted[0]!.address;
  for (const r of sorted) {
    if (r.address - end > maxGap) {
      bound += Math.ceil(covered / spanLimit(r.fn));
      covered = 0;
    }
    covered += Math.max(0, r.address + r.count - Math.max(end, r.address));
    end = Math.max(end, r.address + r.count);
  }
  return bound + Math.ceil(covered / spanLimit(sorted[0]!.fn));
}

console.log(
  `Modbus read planner: about ${REGISTERS.toLocaleString('en')} registers per layout, maxGap ${limits.maxGap}`,
);
console.log(
  [
    'layout',
    'reads',
    'planner',
    'exact min',
    'ratio',
    'lower bound',
    'greedy fill',
    'contiguous only',
    'plan ms',
  ]
    .map((h, i) => (i === 0 ? h.padEnd(28) : h.padStart(i === 1 ? 7 : 16)))
    .join(''),
);
let failed = false;
for (const [name, build] of Object.entries(layouts)) {
  const reads = build();
  const t0 = performance.now();
  const plan = planReads(reads, limits, new BadRanges());
  const ms = performance.now() - t0;
  const sorted = groups(reads);
  const sum = (f: (g: Read[]) => number) => sorted.reduce((n, g) => n + f(g), 0);
  const exact = sum((g) => exactMinimum(g, gapLimit(g[0]!.fn)));
  const ratio = plan.length / exact;
  if (ratio !== 1) failed = true;
  const row = [
    name.padEnd(28),
    String(reads.length).padStart(7),
    String(plan.length).padStart(16),
    String(exact).padStart(16),
    ratio.toFixed(2).padStart(16),
    String(sum((g) => lowerBound(g, gapLimit(g[0]!.fn)))).padStart(16),
    String(sum((g) => greedy(g, gapLimit(g[0]!.fn)))).padStart(16),
    String(sum((g) => greedy(g, 0))).padStart(16),
    ms.toFixed(1).padStart(16),
  ];
  console.log(row.join(''));
}
if (failed) {
  console.error('planner issued more requests than the exact minimum');
  process.exit(1);
}
