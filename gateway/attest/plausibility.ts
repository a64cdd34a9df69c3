/**
 * Signs of made-up data. Flags, not verdicts: each says what was seen, for a person to judge. They
 * must stay rare on genuine data (bench/plausibility.ts measures how rare on the simulated plant),
 * so each rule is narrow and judged by duration, not by a count of samples:
 * - `constant`: a measured value held exactly for an hour or more while its machine produced (a
 *   counter of the machine rose, or its running signal was on), after the series had been seen
 *   varying. Not flagged: enumerations and counters (integers), settings and states with few
 *   values, a controlled value that settled on its setpoint (it crept there), an idle machine,
 *   meters and sensors (nothing tells when they "run"), and what the gateway derives itself.
 * - `periodic`: a stretch of at least 15 minutes in which every value repeats, in order, a
 *   sequence the series had sent before: a recording played again. A machine's program of a few
 *   long steps (a furnace's batch phases) repeats too, so the stretch must change every few minutes.
 * - `ramp`: a value that changes at an exactly constant rate for an hour or more (a generated
 *   line); counters and energy totals rise so by nature and are not judged.
 * - `never_reset`: a counter the config declares to reset each shift that rose for over a day.
 * - `reported_while_offline` (verify.ts): points from long periods without any attestation.
 * What the gateway config says of a tag (unit, description, derived outputs) sharpens the roles;
 * without it, the data's own behaviour decides, and a series constant over its whole history is
 * judged only when its name says it measures something.
 */
import type { Device } from '../../core/model.ts';
import { derivedOutputs, OEE_TAGS } from '../derived/engine.ts';
import type { DerivedConfig } from '../derived/schema.ts';
import type { StoredSample } from '../sinks/sink.ts';
import type { TimeWindow } from '../store/reader.ts';

export interface PlausibilityFlag {
  kind: 'constant' | 'periodic' | 'ramp' | 'never_reset' | 'reported_while_offline';
  device: string;
  tag?: string;
  message: string;
}

/** What the gateway config says about a tag. */
export interface TagFacts {
  unit?: string;
  description?: string;
  /** Written by the gateway itself (machine state, counter totals, OEE), from other data. */
  derived?: boolean;
}
/** Tag facts by `device\0tag`. */
export type TagCatalog = ReadonlyMap<string, TagFacts>;

const key = (device: string, tag: string) => `${device}\u0000${tag}`;

/** The facts of every configured tag and of every tag the derived data writes. */
export function tagCatalog(devices: readonly Device[], derived?: DerivedConfig): TagCatalog {
  const out = new Map<string, TagFacts>();
  for (const device of devices)
    for (const tag of device.tags)
      out.set(key(device.id, tag.id), {
        ...(tag.unit === undefined ? {} : { unit: tag.unit }),
        ...(tag.description === undefined ? {} : { description: tag.description }),
      });
  if (derived)
    for (const output of derivedOutputs(derived)) out.set(key(output.device, output.tag), { derived: true });
  return out;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A measured value held exactly this long while its machine produced is flagged. */
const CONSTANT_MIN_MS = HOUR;
/** A repeated stretch this long is flagged. */
const REPLAY_MIN_MS = 15 * MINUTE;
/** A value changing at an exactly constant rate this long is flagged. */
const RAMP_MIN_MS = HOUR;
/** A per-shift counter that rose without a reset this long missed at least one shift change. */
const NEVER_RESET_MS = 24 * HOUR;
/** A series seen taking this many values varies as measurements do (settings and states take few). */
const MANY_VALUES = 10;
/** A change this small relative to the value is a controller's last creep onto its setpoint. */
const SETTLED = 1e-4;
/** Float noise when steps of one size are compared (47.9 − 47.8 vs 48.0 − 47.9). */
const SAME_STEP = 1.001;
/** OEE figures have fixed names, so even without the config they are known to be derived. */
const OEE_NAMES = new Set(Object.values(OEE_TAGS).flatMap((tag) => [tag, `shift_${tag}`]));
/** Production is judged in blocks of this length: the machine produced in a block if a counter rose in it. */
const BLOCK_MS = 10 * MINUTE;
/** Share of a run's blocks in which the machine must have produced for the run to count. */
const PRODUCING_SHARE = 0.5;
/** How far before the window a series constant from the window's start is followed back. */
export const HISTORY_MS = 24 * HOUR;
/** Consecutive changes compared to find a replay; sequences of fewer values repeat by chance. */
const REPLAY_SPAN = 16;
/** Of this many consecutive windows one is remembered (winnowing), to bound the memory. */
const WINNOW = 4;
/** A repeated stretch must change at least once in this time (a program of long steps does not). */
const REPLAY_MAX_STEP_MS = 5 * MINUTE;

/** Units of quantities a machine's own measurement varies in (lower case). */
const MEASURED_UNITS = new Set([
  ...['degc', '°c', 'c', 'k', 'degf', '°f', 'kw', 'w', 'mw', 'kva', 'a', 'ma', 'v', 'kv', 'mv'],
  ...['rpm', 'r/min', '1/min', 'pa', 'kpa', 'mpa', 'bar', 'mbar', 'hpa', 'psi'],
  ...['l/min', 'l/h', 'm3/min', 'm3/h', 'kg/h', 't/h', 'ppm', '%rh', 'mm/s', 'um', 'µm', 'n', 'nm', 'kn'],
]);
/** Words of tag ids that name a measured quantity. */
const MEASURED_WORDS =
  /(^|_)(temp|temperature|speed|rpm|pressure|flow|current|voltage|power|load|torque|vibration|humidity|level|weight|force|vacuum|voc)(_|$)/;
/** Words of tag ids and descriptions that name a setting, a ratio or a state: constant by nature. */
const SETTING_WORDS =
  /(^|[_\s])(setpoint|set|sp|target|override|limit|factor|ratio|mode|recipe|preset|threshold|state|status|code|alarm)([_\s]|$)|设定|给定|倍率|模式/i;
/** Descriptions of counters reset each shift (the simulator's English, and common Chinese wording). */
const SHIFT_RESET =
  /reset at (each |every )?shift|per shift|this shift|每班|本班|班次清零|交班清零|换班清零/i;

/** camelCase and dashes to snake_case words. */
const words = (id: string) =>
  id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.\s]+/g, '_')
    .toLowerCase();

/** Whether a tag measures a quantity that varies: by its configured unit, else by its name. */
function measured(tag: string, facts: TagFacts | undefined): boolean {
  if (SETTING_WORDS.test(words(tag)) || SETTING_WORDS.test(facts?.description ?? '')) return false;
  if (facts?.unit !== undefined) return MEASURED_UNITS.has(facts.unit.trim().toLowerCase());
  return MEASURED_WORDS.test(words(tag));
}

/** Written by the gateway from other data (per the config, or an OEE figure by its fixed name). */
const derivedTag = (tag: string, facts: TagFacts | undefined) =>
  facts?.derived === true || OEE_NAMES.has(tag);

/** Running signals by name (a boolean), or the gateway's derived machine state (a string). */
const RUNNING_BOOLEAN = /(^|_)(running|run|producing|in_production)$/;
const RUNNING_STATE = 'running';

type Entry = 'start' | 'jump' | 'settle';

interface Run {
  from: number;
  to: number;
  value: number;
  entry: Entry;
}

/** Block marks over the window: in which 10-minute blocks something happened. */
class Blocks {
  readonly marks: Uint8Array;
  constructor(private readonly window: TimeWindow) {
    this.marks = new Uint8Array(Math.max(1, Math.ceil((window.to - window.from) / BLOCK_MS)));
  }
  private index(t: number): number {
    return Math.min(this.marks.length - 1, Math.max(0, Math.floor((t - this.window.from) / BLOCK_MS)));
  }
  mark(t: number): void {
    this.marks[this.index(t)] = 1;
  }
  /** Marks every block from `from` to `to`. */
  markSpan(from: number, to: number): void {
    for (let i = this.index(from); i <= this.index(to); i++) this.marks[i] = 1;
  }
  /** Share of the blocks of [from, to] marked in any of `sets`. */
  static share(sets: readonly Blocks[], from: number, to: number): number {
    const first = sets[0];
    if (!first) return 0;
    const [a, b] = [first.index(from), first.index(to)];
    let marked = 0;
    for (let i = a; i <= b; i++) if (sets.some((s) => s.marks[i] === 1)) marked += 1;
    return marked / (b - a + 1);
  }
}

/**
 * A direct-mapped table of sequences seen (by hash), shared by all series: its size bounds the
 * memory whatever the number of series; an entry lives until another lands in its slot.
 */
class ReplayMemory {
  private static readonly SIZE = 1 << 20;
  private readonly keys = new Float64Array(ReplayMemory.SIZE).fill(-1);

  /** Whether `hash` was seen before; remembers it either way. */
  seen(hash: number): boolean {
    const slot = hash % ReplayMemory.SIZE;
    const known = this.keys[slot] === hash;
    this.keys[slot] = hash;
    return known;
  }
}

const bits = new Float64Array(1);
const words32 = new Uint32Array(bits.buffer);
/** A 32-bit hash of a number's exact bits. */
function valueHash(value: number, seed: number): number {
  bits[0] = value;
  let h = Math.imul((words32[0] as number) ^ seed, 0x9e3779b1);
  h = Math.imul(h ^ (words32[1] as number) ^ (h >>> 15), 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}
const LANE_BASE = [0x01000193, 0x5bd1e995];
const LANE_TOP = LANE_BASE.map((base) => {
  let power = 1;
  for (let i = 1; i < REPLAY_SPAN; i++) power = Math.imul(power, base);
  return power;
});

interface Door {
  t0: number;
  v0: number;
  lo: number;
  hi: number;
  tol: number;
  changes: number;
  t: number;
  v: number;
}

/** (Re)opens a door at (t, v): its line is not known until the next point. */
function openDoor(door: Door, t: number, v: number): Door {
  door.t0 = t;
  door.v0 = v;
  door.lo = Number.NEGATIVE_INFINITY;
  door.hi = Number.POSITIVE_INFINITY;
  door.tol = 0;
  door.changes = 0;
  door.t = t;
  door.v = v;
  return door;
}

/** A 32-bit hash of a text (the series' key), to keep series apart in the shared replay memory. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A series' last REPLAY_SPAN changes, rolled one at a time: their hash (two 32-bit polynomial
 * lanes), how many values and step sizes they hold and how often they turn, and their times.
 * Windows that carry information (noise: turns and several values; or a smooth curve: steps of many
 * sizes) are winnowed into the shared memory; a stretch of them seen before is a replay. A
 * quantized value climbing its ladder of steps, or flickering between two levels, repeats by
 * nature and is not judged.
 */
class ReplayTrack {
  private readonly laneA = new Int32Array(REPLAY_SPAN);
  private readonly laneB = new Int32Array(REPLAY_SPAN);
  private readonly values = new Float64Array(REPLAY_SPAN);
  private readonly steps = new Float64Array(REPLAY_SPAN);
  private readonly signs = new Int8Array(REPLAY_SPAN);
  private readonly times = new Float64Array(REPLAY_SPAN);
  /** Ring position of the oldest change, and how many it holds. */
  private head = 0;
  private size = 0;
  private a = 0;
  private b = 0;
  private turns = 0;
  private changes = 0;
  /** The informative windows among the last WINNOW, by change index modulo WINNOW. */
  private readonly pickHash = new Float64Array(WINNOW);
  private readonly pickIndex = new Float64Array(WINNOW).fill(Number.NEGATIVE_INFINITY);
  private readonly pickFrom = new Float64Array(WINNOW);
  private readonly pickTo = new Float64Array(WINNOW);
  private picked = -1;
  private stretch: { from: number; to: number; firstChange: number; lastChange: number } | undefined;
  replay: { from: number; to: number } | undefined;

  constructor(
    private readonly memory: ReplayMemory,
    private readonly salt: number,
  ) {}

  add(t: number, value: number, delta: number): void {
    const sign = delta > 0 ? 1 : -1;
    // Float noise must not make one step size look like two (48.0 − 47.9 vs 47.9 − 47.8).
    const step = Math.fround(Math.abs(delta));
    if (this.size === REPLAY_SPAN) this.evict();
    const at = (this.head + this.size) % REPLAY_SPAN;
    if (this.size > 0 && this.signs[(at + REPLAY_SPAN - 1) % REPLAY_SPAN] !== sign) this.turns += 1;
    const hashA = valueHash(value, 0x1234567) | 0;
    const hashB = valueHash(value, 0x7654321) | 0;
    this.a = (Math.imul(this.a, LANE_BASE[0] as number) + hashA) | 0;
    this.b = (Math.imul(this.b, LANE_BASE[1] as number) + hashB) | 0;
    this.laneA[at] = hashA;
    this.laneB[at] = hashB;
    this.values[at] = value;
    this.steps[at] = step;
    this.signs[at] = sign;
    this.times[at] = t;
    this.size += 1;
    this.changes += 1;
    if (this.size < REPLAY_SPAN) return;
    // Noise (turns and several values) or a smooth curve (steps of many sizes) tells one stretch
    // from another; a ladder of one step or a flicker between two levels does not.
    const informative =
      (this.turns >= 3 && distinctAtLeast(this.values, 5)) || distinctAtLeast(this.steps, REPLAY_SPAN / 2);
    if (informative) this.winnow(t);
  }

  /** Drops the oldest change from the window, and from the hash. */
  private evict(): void {
    const i = this.head;
    this.a = (this.a - Math.imul(this.laneA[i] as number, LANE_TOP[0] as number)) | 0;
    this.b = (this.b - Math.imul(this.laneB[i] as number, LANE_TOP[1] as number)) | 0;
    if (this.signs[i] !== this.signs[(i + 1) % REPLAY_SPAN]) this.turns -= 1;
    this.head = (i + 1) % REPLAY_SPAN;
    this.size -= 1;
  }

  /**
   * Winnowing: of every WINNOW consecutive windows the smallest hash is remembered. The choice
   * depends on content only, so a replay picks the same windows, and no stretch is left out.
   */
  private winnow(t: number): void {
    const slot = this.changes % WINNOW;
    this.pickHash[slot] = Math.abs(
      (this.a ^ this.salt) * 2 ** 21 + ((this.b ^ Math.imul(this.salt, 0x27d4eb2d)) >>> 11),
    );
    this.pickIndex[slot] = this.changes;
    this.pickFrom[slot] = this.times[this.head] as number;
    this.pickTo[slot] = t;
    // The smallest hash of the last WINNOW windows (the latest of equals).
    let best = slot;
    for (let s = 0; s < WINNOW; s++) {
      const index = this.pickIndex[s] as number;
      if (index <= this.changes - WINNOW) continue;
      const hash = this.pickHash[s] as number;
      const bestHash = this.pickHash[best] as number;
      if (hash < bestHash || (hash === bestHash && index > (this.pickIndex[best] as number))) best = s;
    }
    const index = this.pickIndex[best] as number;
    if (index === this.picked) return;
    this.picked = index;
    if (!this.memory.seen(this.pickHash[best] as number)) {
      this.finish();
      return;
    }
    const from = this.pickFrom[best] as number;
    const to = this.pickTo[best] as number;
    if (this.stretch) {
      this.stretch.to = to;
      this.stretch.lastChange = index;
    } else this.stretch = { from, to, firstChange: index - REPLAY_SPAN + 1, lastChange: index };
  }

  /** Closes the stretch being followed: a replay if long enough and changing often enough. */
  finish(): void {
    const stretch = this.stretch;
    this.stretch = undefined;
    if (!stretch || this.replay) return;
    const span = stretch.to - stretch.from;
    if (span < REPLAY_MIN_MS) return;
    if (span / (stretch.lastChange - stretch.firstChange + 1) > REPLAY_MAX_STEP_MS) return;
    this.replay = { from: stretch.from, to: stretch.to };
  }
}

/** Whether `xs` holds at least `n` different numbers (it holds a few dozen at most). */
function distinctAtLeast(xs: Float64Array, n: number): boolean {
  let distinct = 0;
  for (let i = 0; i < xs.length; i++) {
    let seen = false;
    for (let j = 0; j < i && !seen; j++) seen = xs[j] === xs[i];
    if (!seen && ++distinct >= n) return true;
  }
  return false;
}

/** One numeric series (number or integer), fed in time order. */
class Series {
  count = 0;
  first = 0;
  last = 0;
  value = Number.NaN;
  /** Distinct values, until there are many. */
  private distinct: Set<number> | undefined = new Set();
  increases = 0;
  decreases = 0;
  /** Smallest change seen (the series' step), and how many changes in a row crept one way. */
  private step = Number.POSITIVE_INFINITY;
  private creep = 0;
  private lastDelta = 0;
  /** The current run of one exact value, and the runs long enough to judge. */
  private run: Run | undefined;
  readonly runs: Run[] = [];
  /** Rising without a drop: since when (first increase), and the longest such stretch. */
  private riseFrom: number | undefined;
  readonly longestRise = { from: 0, to: 0 };
  /** Counters: blocks in which the value rose. */
  readonly rises: Blocks | undefined;
  /** Ramp: a swinging door over change points (time, value) within ± tolerance of one line. */
  private door: Door | undefined;
  ramp: { from: number; to: number; perHour: number } | undefined;
  /** Replays: followed over the series' changes, unless the series is not judged. */
  private readonly replays: ReplayTrack | undefined;

  constructor(
    readonly device: string,
    readonly tag: string,
    readonly type: 'number' | 'integer',
    window: TimeWindow | undefined,
    memory: ReplayMemory | undefined,
  ) {
    if (type === 'integer' && window) this.rises = new Blocks(window);
    if (memory) this.replays = new ReplayTrack(memory, textHash(key(device, tag)));
  }

  /** A stretch that repeats what the series sent before (a replayed recording). */
  get replay(): { from: number; to: number } | undefined {
    return this.replays?.replay;
  }

  get many(): boolean {
    return this.distinct === undefined;
  }

  get distinctValues(): ReadonlySet<number> | undefined {
    return this.distinct;
  }

  /** Whether the series counts (rises, rarely falls): a counter, a batch number, a total. */
  get counterLike(): boolean {
    return this.increases >= MANY_VALUES && this.decreases * 20 <= this.increases;
  }

  add(t: number, value: number): void {
    if (this.count === 0) this.first = t;
    this.count += 1;
    const previous = this.value;
    this.last = t;
    if (this.distinct) {
      this.distinct.add(value);
      if (this.distinct.size >= MANY_VALUES) this.distinct = undefined;
    }
    if (value === previous) {
      if (this.run) this.run.to = t;
      return;
    }
    this.value = value;
    if (this.count > 1) this.change(t, previous, value);
    else this.startRun(t, value, 'start');
  }

  /** The run just begun (one object, reused: this runs for every change of every series). */
  private startRun(t: number, value: number, entry: Entry): void {
    if (!this.run) this.run = { from: t, to: t, value, entry };
    const run = this.run;
    run.from = t;
    run.to = t;
    run.value = value;
    run.entry = entry;
  }

  private change(t: number, previous: number, value: number): void {
    const delta = value - previous;
    if (delta > 0) this.increases += 1;
    else this.decreases += 1;
    // Entry into the new run: a creep (tiny, or one step after several the same way) or a jump.
    const size = Math.abs(delta);
    const creeping =
      Math.sign(delta) === Math.sign(this.lastDelta) && size <= Math.abs(this.lastDelta) * SAME_STEP;
    this.creep = creeping ? this.creep + 1 : 0;
    const settled =
      size <= SETTLED * Math.max(1, Math.abs(value)) || (size <= this.step * SAME_STEP && this.creep >= 3);
    this.step = Math.min(this.step, size);
    this.lastDelta = delta;
    this.closeRun(t);
    this.startRun(t, value, settled ? 'settle' : 'jump');
    if (delta > 0) {
      this.riseFrom ??= t;
      this.rises?.mark(t);
    } else this.riseFrom = undefined;
    const rise = this.longestRise;
    if (this.riseFrom !== undefined && t - this.riseFrom > rise.to - rise.from) {
      rise.from = this.riseFrom;
      rise.to = t;
    }
    this.swing(t, value);
    this.replays?.add(t, value, delta);
  }

  private closeRun(end: number): void {
    const run = this.run;
    if (run && end - run.from >= CONSTANT_MIN_MS) this.runs.push({ ...run, to: end });
  }

  /** The runs long enough to judge, the current one included (ending at the last sample). */
  finish(): void {
    const run = this.run;
    if (run && run.to - run.from >= CONSTANT_MIN_MS) this.runs.push(run);
    this.run = undefined;
    this.closeDoor();
    this.replays?.finish();
  }

  /** The current run (what history is read for). */
  get current(): Run | undefined {
    return this.run;
  }

  private swing(t: number, v: number): void {
    const door = this.door;
    if (!door) {
      this.door = openDoor({} as Door, t, v);
      return;
    }
    const step = Math.abs(v - door.v);
    if (door.changes === 0) {
      // The tolerance is the line's smallest step: a rounded line stays within one step of it.
      door.tol = step;
      door.lo = (v - door.tol - door.v0) / (t - door.t0);
      door.hi = (v + door.tol - door.v0) / (t - door.t0);
    } else {
      const lo = Math.max(door.lo, (v - door.tol - door.v0) / (t - door.t0));
      const hi = Math.min(door.hi, (v + door.tol - door.v0) / (t - door.t0));
      // Off the line, or a finer step than the line was judged by: the next line starts here.
      if (lo > hi || step * 1.5 < door.tol) {
        this.closeDoor();
        openDoor(door, door.t, door.v);
        this.swing(t, v);
        return;
      }
      door.lo = lo;
      door.hi = hi;
    }
    door.changes += 1;
    door.t = t;
    door.v = v;
  }

  private closeDoor(): void {
    const door = this.door;
    if (!door || this.ramp) return;
    if (door.changes < MANY_VALUES || door.t - door.t0 < RAMP_MIN_MS) return;
    if (Math.abs(door.v - door.v0) < 10 * door.tol) return;
    this.ramp = { from: door.t0, to: door.t, perHour: ((door.v - door.v0) / (door.t - door.t0)) * HOUR };
  }
}

/** History of one series before the window (a store read), for runs constant from the window's start. */
export type SeriesHistory = (device: string, tag: string, range: TimeWindow) => AsyncIterable<StoredSample>;

export interface SignalWatchOptions {
  /** The verified window (production is judged in its 10-minute blocks). */
  window: TimeWindow;
  catalog?: TagCatalog;
}

/** Watches every good sample of the window, device by device in time order; then `flags()`. */
export class SignalWatch {
  private readonly series = new Map<string, Series>();
  /** Boolean and string series: whether each says when its machine runs. */
  private readonly runningSignals = new Map<string, boolean>();
  /** Per device: blocks in which a running signal said the machine ran. */
  private readonly running = new Map<string, Blocks>();
  private readonly lastRunning = new Map<string, { t: number; on: boolean }>();
  private readonly memory = new ReplayMemory();

  constructor(private readonly options: SignalWatchOptions) {}

  add(sample: StoredSample): void {
    if (sample.quality !== 'good') return;
    const k = key(sample.device, sample.tag);
    if (sample.type === 'boolean' || sample.type === 'string') {
      let isRunning = this.runningSignals.get(k);
      if (isRunning === undefined) {
        const facts = this.options.catalog?.get(k);
        isRunning =
          sample.type === 'boolean'
            ? RUNNING_BOOLEAN.test(words(sample.tag)) && !facts?.derived
            : sample.tag === 'machine_state' || facts?.derived === true;
        this.runningSignals.set(k, isRunning);
      }
      if (isRunning) this.noteRunning(sample, sample.value === true || sample.value === RUNNING_STATE);
      return;
    }
    const value = Number(sample.value);
    if (!Number.isFinite(value)) return;
    let series = this.series.get(k);
    if (!series) {
      // What the gateway derives (totals, OEE) is computed from other data: judged through that data.
      const derived = derivedTag(sample.tag, this.options.catalog?.get(k));
      series = new Series(
        sample.device,
        sample.tag,
        sample.type,
        this.options.window,
        derived ? undefined : this.memory,
      );
      this.series.set(k, series);
    }
    series.add(sample.sourceTime, value);
  }

  private noteRunning(sample: StoredSample, on: boolean): void {
    let blocks = this.running.get(sample.device);
    if (!blocks) {
      blocks = new Blocks(this.options.window);
      this.running.set(sample.device, blocks);
    }
    const before = this.lastRunning.get(sample.device);
    // Running from the previous report until this one; a gap longer than a block proves nothing.
    if (before?.on && sample.sourceTime - before.t <= BLOCK_MS) blocks.markSpan(before.t, sample.sourceTime);
    if (on) blocks.mark(sample.sourceTime);
    this.lastRunning.set(sample.device, { t: sample.sourceTime, on });
  }

  /** Whether the device produced in at least half of the blocks of [from, to]. */
  private producing(device: string, from: number, to: number): boolean {
    const sets: Blocks[] = [];
    const running = this.running.get(device);
    if (running) sets.push(running);
    for (const s of this.series.values())
      if (s.device === device && s.counterLike && s.rises) sets.push(s.rises);
    return Blocks.share(sets, from, to) >= PRODUCING_SHARE;
  }

  /** The flags; `history` reads a series before the window, to judge runs constant from its start. */
  async flags(history?: SeriesHistory): Promise<PlausibilityFlag[]> {
    const out: PlausibilityFlag[] = [];
    const catalog = this.options.catalog;
    for (const s of this.series.values()) s.finish();
    for (const s of this.series.values()) {
      const facts = catalog?.get(key(s.device, s.tag));
      if (derivedTag(s.tag, facts)) continue;
      const flag = (kind: PlausibilityFlag['kind'], message: string) =>
        out.push({ kind, device: s.device, tag: s.tag, message: `${s.device}/${s.tag}: ${message}` });
      if (s.type === 'integer') {
        const rise = s.longestRise;
        if (SHIFT_RESET.test(facts?.description ?? '') && rise.to - rise.from > NEVER_RESET_MS)
          flag(
            'never_reset',
            `rose for ${hours(rise.to - rise.from)} without a reset (${span(rise.from, rise.to)}), though it is declared to reset each shift`,
          );
      } else {
        const constant = await this.constantRun(s, facts, history);
        if (constant) flag('constant', constant);
        const accumulates = s.decreases === 0 && !measured(s.tag, facts);
        if (s.ramp && !accumulates)
          flag(
            'ramp',
            `changed at an exactly constant rate (${round(s.ramp.perHour)} per hour) for ${hours(s.ramp.to - s.ramp.from)} (${span(s.ramp.from, s.ramp.to)}): a generated line?`,
          );
      }
      const few = s.distinctValues !== undefined && s.distinctValues.size < 5;
      if (s.replay && !s.counterLike && !few)
        flag(
          'periodic',
          `from ${span(s.replay.from, s.replay.to)} (${Math.round((s.replay.to - s.replay.from) / MINUTE)} min) every value repeats, in order, a sequence it had sent before: a recording played again?`,
        );
    }
    return out.sort((a, b) => a.device.localeCompare(b.device) || (a.tag ?? '').localeCompare(b.tag ?? ''));
  }

  /** A run held exactly for an hour or more while the machine produced, and not a settled value. */
  private async constantRun(
    s: Series,
    facts: TagFacts | undefined,
    history: SeriesHistory | undefined,
  ): Promise<string | undefined> {
    for (const run of s.runs) {
      if (!this.producing(s.device, run.from, run.to)) continue;
      if (run.entry === 'jump' && s.many)
        return `held exactly ${run.value} for ${hours(run.to - run.from)} (${span(run.from, run.to)}) while the machine produced, after varying before`;
      if (run.entry !== 'start' || run.from !== s.first) continue;
      // Constant from the window's start: how did the series come to this value?
      const before = new Series(s.device, s.tag, s.type, undefined, undefined);
      const window = this.options.window;
      if (history)
        for await (const sample of history(s.device, s.tag, {
          from: window.from - HISTORY_MS,
          to: window.from,
        }))
          if (sample.quality === 'good' && typeof sample.value === 'number')
            before.add(sample.sourceTime, sample.value);
      const empty = before.count === 0;
      before.add(run.from, run.value);
      const entry = before.current as Run;
      const from = entry.from;
      if (empty) {
        if (history && measured(s.tag, facts))
          return `exactly ${run.value} from its first sample on, for ${hours(run.to - run.from)} (${span(run.from, run.to)}), while the machine produced`;
        continue;
      }
      if (entry.entry === 'jump' && (before.many || s.many || mergedMany(before, s)))
        return `held exactly ${run.value} for ${hours(run.to - from)} (${span(from, run.to)}) while the machine produced, after varying before`;
    }
    return undefined;
  }
}

function mergedMany(a: Series, b: Series): boolean {
  const values = new Set([...(a.distinctValues ?? []), ...(b.distinctValues ?? [])]);
  return values.size >= MANY_VALUES;
}

const iso = (t: number) => new Date(t).toISOString();
const span = (from: number, to: number) => `${iso(from)} – ${iso(to)}`;
const hours = (ms: number) => `${Math.round((ms / HOUR) * 10) / 10} h`;
const round = (x: number) => Number(x.toPrecision(4));

/** Periods of at least `minGapMs` with no attestation at all: the gateway was off or cut off. */
export function offlinePeriods(attestationTimes: ArrayLike<number>, minGapMs: number): [number, number][] {
  const sorted = Float64Array.from(attestationTimes).sort();
  const out: [number, number][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1] as number, sorted[i] as number];
    if (b - a >= minGapMs) out.push([a, b]);
  }
  return out;
}

/** A gap this long between attestations: the gateway was off or cut off. */
const OFFLINE_MS = 10 * MINUTE;

/** Points whose source time falls well inside a period without attestations, per device. */
export class OfflineWatch {
  private readonly periods: [number, number][];
  private readonly counts = new Map<string, number>();

  constructor(attestationTimes: ArrayLike<number>) {
    // Five minutes in from either end, so clocks a few minutes apart do not count.
    this.periods = offlinePeriods(attestationTimes, OFFLINE_MS).map(([a, b]) => [
      a + OFFLINE_MS / 2,
      b - OFFLINE_MS / 2,
    ]);
  }

  add(sample: StoredSample): void {
    const t = sample.sourceTime;
    // The last period starting before t.
    let lo = 0;
    let hi = this.periods.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.periods[mid] as [number, number])[0] < t) lo = mid + 1;
      else hi = mid;
    }
    const period = this.periods[lo - 1];
    if (period && t < period[1]) this.counts.set(sample.device, (this.counts.get(sample.device) ?? 0) + 1);
  }

  flags(): PlausibilityFlag[] {
    return [...this.counts].map(([device, n]) => ({
      kind: 'reported_while_offline',
      device,
      message: `${device}: ${n} points have source times inside periods of ≥ ${OFFLINE_MS / MINUTE} min without any attestation (the gateway was off: sent later from a buffer, or back-dated)`,
    }));
  }
}
