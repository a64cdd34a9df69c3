/**
 * The read planner: tag reads in, Modbus requests out. Pure, no I/O.
 *
 * Reads are grouped by unit id and function code, sorted by address and cut into the fewest
 * requests that respect the protocol's quantity limits, the largest gap worth filling, and the
 * address ranges the slave has refused before (exception 02). Among plans with the fewest
 * requests it picks the one reading the fewest registers (or bits).
 */

/** Modbus Application Protocol v1.1b3 §6.3/§6.4: Read Holding/Input Registers, quantity 1 to 125 (0x7D). */
export const MAX_READ_REGISTERS = 125;
/** §6.1/§6.2: Read Coils/Discrete Inputs, quantity 1 to 2000 (0x7D0). */
export const MAX_READ_BITS = 2000;
/** Default for maxGap: registers of a gap read rather than split, as Telegraf's max_insert default. */
export const DEFAULT_MAX_GAP = 50;
/** Bits per register: a gap of maxGap registers allows maxGap × 16 unused coils (the same bytes). */
export const BITS_PER_REGISTER = 16;

export type FunctionCode = 1 | 2 | 3 | 4;

export function isBitFunction(fn: FunctionCode): boolean {
  return fn === 1 || fn === 2;
}

/** One tag's share of the address space: `count` registers (fn 3, 4) or bits (fn 1, 2) from `address`. */
export interface TagRead<T> {
  unitId: number;
  fn: FunctionCode;
  /** Protocol address, 0-based. */
  address: number;
  count: number;
  ref: T;
}

export interface ReadRequest<T> {
  unitId: number;
  fn: FunctionCode;
  address: number;
  count: number;
  reads: TagRead<T>[];
}

export interface PlanLimits {
  /** Gap in registers worth reading through rather than starting a new request. */
  maxGap: number;
  maxReadRegisters: number;
  maxReadBits: number;
}

export const DEFAULT_LIMITS: PlanLimits = {
  maxGap: DEFAULT_MAX_GAP,
  maxReadRegisters: MAX_READ_REGISTERS,
  maxReadBits: MAX_READ_BITS,
};

interface Range {
  start: number;
  end: number;
}

/**
 * Address ranges a slave refused with exception 02, per unit id and function code. A merged
 * request never covers one; a tag touching one is read alone. An empty range (start = end) is a cut:
 * the slave answers both sides but not a request spanning them (a memory-area boundary).
 */
export class BadRanges {
  private readonly ranges = new Map<string, Range[]>();
  /** Grows with every range added, so callers can cache a plan until it changes. */
  version = 0;

  add(unitId: number, fn: FunctionCode, start: number, end: number): void {
    const key = groupKey(unitId, fn);
    const list = this.ranges.get(key) ?? [];
    if (list.some((r) => r.start === start && r.end === end)) return;
    list.push({ start, end });
    this.ranges.set(key, list);
    this.version += 1;
  }

  /** Whether a merged request over [start, end) would touch a bad range or cross a cut. */
  blocks(unitId: number, fn: FunctionCode, start: number, end: number): boolean {
    return (this.ranges.get(groupKey(unitId, fn)) ?? []).some((r) =>
      r.start === r.end ? start < r.start && r.start < end : Math.max(r.start, start) < Math.min(r.end, end),
    );
  }

  get size(): number {
    let n = 0;
    for (const list of this.ranges.values()) n += list.length;
    return n;
  }

  list(): { unitId: number; fn: FunctionCode; start: number; end: number }[] {
    return [...this.ranges.entries()].flatMap(([key, list]) => {
      const [unitId, fn] = key.split(':').map(Number) as [number, FunctionCode];
      return list.map((r) => ({ unitId, fn, ...r }));
    });
  }
}

function groupKey(unitId: number, fn: FunctionCode): string {
  return `${unitId}:${fn}`;
}

/** Plans the requests for a set of reads; output sorted by unit id, function code and address. */
export function planReads<T>(
  reads: readonly TagRead<T>[],
  limits: PlanLimits = DEFAULT_LIMITS,
  bad: BadRanges = new BadRanges(),
): ReadRequest<T>[] {
  const groups = new Map<string, TagRead<T>[]>();
  for (const read of reads) {
    const key = groupKey(read.unitId, read.fn);
    const group = groups.get(key);
    if (group) group.push(read);
    else groups.set(key, [read]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [ua, fa] = a.split(':').map(Number) as [number, number];
    const [ub, fb] = b.split(':').map(Number) as [number, number];
    return ua - ub || fa - fb;
  });
  return keys.flatMap((key) => planGroup(groups.get(key)!, limits, bad));
}

/** A request covering exactly these reads (which share unit id and function code). */
export function requestFor<T>(reads: readonly TagRead<T>[]): ReadRequest<T> {
  const first = reads[0];
  if (!first) throw new Error('a request needs at least one read');
  let start = first.address;
  let end = first.address + first.count;
  for (const r of reads) {
    start = Math.min(start, r.address);
    end = Math.max(end, r.address + r.count);
  }
  return { unitId: first.unitId, fn: first.fn, address: start, count: end - start, reads: [...reads] };
}

/**
 * Dynamic programme over the reads sorted by address: best[i] is the cheapest plan for reads
 * i..n-1 as (requests, units read). A request takes reads i..j; extending j only ever adds span
 * and gaps, so the scan for each i stops at the first infeasible j.
 */
function planGroup<T>(unsorted: TagRead<T>[], limits: PlanLimits, bad: BadRanges): ReadRequest<T>[] {
  const { unitId, fn } = unsorted[0]!;
  const bits = isBitFunction(fn);
  const maxSpan = bits ? limits.maxReadBits : limits.maxReadRegisters;
  const maxGap = bits ? limits.maxGap * BITS_PER_REGISTER : limits.maxGap;
  // Shorter first among reads at one address: a group may then end with the short one and the
  // next start with the long one, which keeps every optimal plan a run of consecutive reads.
  const byAddress = (a: TagRead<T>, b: TagRead<T>) => a.address - b.address || a.count - b.count;
  // Reads touching a refused range (or straddling a cut) go alone and stay out of the sequence.
  const alone: TagRead<T>[] = [];
  const reads: TagRead<T>[] = [];
  for (const r of unsorted) (bad.blocks(unitId, fn, r.address, r.address + r.count) ? alone : reads).push(r);
  reads.sort(byAddress);
  const n = reads.length;
  const requests = new Array<number>(n + 1).fill(0);
  const units = new Array<number>(n + 1).fill(0);
  const cut = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    const start = reads[i]!.address;
    let end = start + reads[i]!.count;
    requests[i] = Number.POSITIVE_INFINITY;
    for (let j = i; j < n; j++) {
      const r = reads[j]!;
      if (j > i) {
        if (r.address - end > maxGap) break;
        const newEnd = Math.max(end, r.address + r.count);
        if (newEnd - start > maxSpan || bad.blocks(unitId, fn, start, newEnd)) break;
        end = newEnd;
      }
      const cost = requests[j + 1]! + 1;
      const read = units[j + 1]! + (end - start);
      // On ties the longer first request wins, so plans read like a person would cut them.
      if (cost < requests[i]! || (cost === requests[i]! && read <= units[i]!)) {
        requests[i] = cost;
        units[i] = read;
        cut[i] = j + 1;
      }
    }
  }
  const plan = alone.map((r) => requestFor([r]));
  for (let i = 0; i < n; i = cut[i]!) plan.push(requestFor(reads.slice(i, cut[i])));
  return plan.sort((a, b) => a.address - b.address || a.count - b.count);
}
