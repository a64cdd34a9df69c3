/**
 * Derived data at the edge: machine state from rules on a device's tags, counter totals with resets
 * and rollovers, and OEE per shift. Fed with every accepted sample; its own outputs are samples of
 * the same device, written through the same buffer.
 */
import type { DataType, Device, Quality, Sample, SampleValue } from '../../core/model.ts';
import { holds } from './condition.ts';
import { CounterTotal } from './counter.ts';
import { type OeeFigures, OeeTracker } from './oee.ts';
import type { DerivedConfig, MachineState } from './schema.ts';

type StateRule = DerivedConfig['machineState'][number];

interface DeviceState {
  rule: StateRule;
  latest: Map<string, SampleValue>;
  lastGood: number | undefined;
  state: MachineState | undefined;
  startedAt: number;
}

/** The OEE figures' tag names (fixed), running and `shift_` final. */
export const OEE_TAGS: Record<keyof OeeFigures, string> = {
  availability: 'oee_availability',
  performance: 'oee_performance',
  quality: 'oee_quality',
  oee: 'oee',
};

export class DerivedEngine {
  private readonly states = new Map<string, DeviceState>();
  private readonly counters = new Map<
    string,
    { config: DerivedConfig['counters'][number]; total: CounterTotal; lastTime?: number }
  >();
  private readonly oee = new Map<
    string,
    { tracker: OeeTracker; config: DerivedConfig['oee'][number]; lastEmit: number }
  >();
  private readonly outputs = new Set<string>();

  constructor(
    config: DerivedConfig,
    private readonly emit: (samples: Sample[]) => void,
    private readonly now: () => number,
    totals: Record<string, number> = {},
  ) {
    const started = now();
    for (const rule of config.machineState) {
      this.states.set(rule.device, {
        rule,
        latest: new Map(),
        lastGood: undefined,
        state: undefined,
        startedAt: started,
      });
      this.outputs.add(key(rule.device, rule.tag));
    }
    for (const counter of config.counters) {
      const k = key(counter.device, counter.tag);
      this.counters.set(k, {
        config: counter,
        total: new CounterTotal(totals[key(counter.device, counter.output)] ?? 0, counter.rollover),
      });
      this.outputs.add(key(counter.device, counter.output));
    }
    for (const oee of config.oee) {
      const tracker = new OeeTracker(
        { idealCycleTimeMs: oee.idealCycleTime, shifts: oee.shifts, timezone: oee.timezone },
        (window, figures) => this.emitFigures(oee.device, figures, window.start, 'shift_'),
      );
      this.oee.set(oee.device, { tracker, config: oee, lastEmit: started });
      for (const tag of [...Object.values(OEE_TAGS), ...Object.values(OEE_TAGS).map((t) => `shift_${t}`)])
        this.outputs.add(key(oee.device, tag));
    }
  }

  /** Whether any rule is configured (else observe has nothing to do). */
  get hasRules(): boolean {
    return this.states.size + this.counters.size + this.oee.size > 0;
  }

  /** Feeds accepted samples (its own outputs are skipped). */
  observe(samples: readonly Sample[]): void {
    const out: Sample[] = [];
    // A batch is one reading of a device: its state is decided once, on all of its values.
    const touched = new Map<string, number>();
    for (const sample of samples) {
      if (this.outputs.has(key(sample.device, sample.tag))) continue;
      const counter = this.counters.get(key(sample.device, sample.tag));
      if (counter && sample.quality === 'good' && typeof sample.value === 'number') {
        const delta = counter.total.observe(sample.value);
        out.push(
          derived(sample.device, counter.config.output, counter.total.total, sample.sourceTime, this.now()),
        );
        // The rise happened somewhere since the previous reading: OEE counts only its share in the shift.
        const from = counter.lastTime ?? sample.sourceTime;
        counter.lastTime = sample.sourceTime;
        this.countParts(sample.device, counter.config.output, delta, from, sample.sourceTime);
      }
      const device = this.states.get(sample.device);
      if (device && sample.quality === 'good') {
        device.latest.set(sample.tag, sample.value);
        device.lastGood = Math.max(device.lastGood ?? 0, sample.receivedAt);
        touched.set(sample.device, Math.max(touched.get(sample.device) ?? 0, sample.sourceTime));
      }
    }
    for (const [id, time] of touched) {
      const device = this.states.get(id) as DeviceState;
      const rule = device.rule.rules.find((r) => holds(r.when, device.latest));
      this.setState(id, device, rule?.state ?? device.rule.otherwise, time, out);
    }
    if (out.length > 0) this.emit(out);
  }

  /** Periodic work: offline detection and the running OEE figures. */
  tick(): void {
    const now = this.now();
    const out: Sample[] = [];
    for (const [id, device] of this.states) {
      const silentSince = device.lastGood ?? device.startedAt;
      if (now - silentSince >= device.rule.offlineAfter)
        this.setState(id, device, 'offline', silentSince + device.rule.offlineAfter, out);
    }
    if (out.length > 0) this.emit(out);
    for (const [device, entry] of this.oee) {
      const figures = entry.tracker.advance(now);
      if (figures && now - entry.lastEmit >= entry.config.every) {
        entry.lastEmit = now;
        this.emitFigures(device, figures, now, '');
      }
    }
  }

  /** Counter totals by output tag, to persist across restarts. */
  totals(): Record<string, number> {
    return Object.fromEntries(
      [...this.counters.values()].map(({ config, total }) => [
        key(config.device, config.output),
        total.total,
      ]),
    );
  }

  private setState(id: string, device: DeviceState, state: MachineState, time: number, out: Sample[]): void {
    if (device.state === state) return;
    device.state = state;
    out.push(derived(id, device.rule.tag, state, time, this.now()));
    this.oee.get(id)?.tracker.setState(state, time);
  }

  private countParts(deviceId: string, output: string, delta: number, from: number, time: number): void {
    const entry = this.oee.get(deviceId);
    if (!entry || delta <= 0) return;
    if (output === entry.config.totalCount) entry.tracker.addParts(delta, 0, time, from);
    else if (output === entry.config.scrapCount) entry.tracker.addParts(0, delta, time, from);
  }

  private emitFigures(device: string, figures: OeeFigures, time: number, prefix: string): void {
    const now = this.now();
    const samples = (Object.keys(OEE_TAGS) as (keyof OeeFigures)[])
      .filter((k) => figures[k] !== undefined)
      .map((k) => derived(device, `${prefix}${OEE_TAGS[k]}`, figures[k] as number, time, now));
    if (samples.length > 0) this.emit(samples);
  }
}

/**
 * The stored type of every derived tag, so integers stay integers: a counter total has its raw
 * counter's type, a state is a string, OEE figures are numbers.
 */
export function derivedTypes(
  config: DerivedConfig,
  devices: readonly Device[],
): [device: string, tag: string, type: DataType][] {
  const rawType = (device: string, tag: string) =>
    devices.find((d) => d.id === device)?.tags.find((t) => t.id === tag)?.type;
  return [
    ...config.machineState.map((m): [string, string, DataType] => [m.device, m.tag, 'string']),
    ...config.counters.map((c): [string, string, DataType] => [
      c.device,
      c.output,
      rawType(c.device, c.tag) === 'integer' ? 'integer' : 'number',
    ]),
    ...config.oee.flatMap((o) =>
      Object.values(OEE_TAGS).flatMap((tag): [string, string, DataType][] => [
        [o.device, tag, 'number'],
        [o.device, `shift_${tag}`, 'number'],
      ]),
    ),
  ];
}

/** Every tag name derived data writes, per device (to refuse names that clash with read tags). */
export function derivedOutputs(
  config: DerivedConfig,
): { device: string; tag: string; at: (string | number)[] }[] {
  return [
    ...config.machineState.map((m, i) => ({
      device: m.device,
      tag: m.tag,
      at: ['derived', 'machineState', i, 'tag'],
    })),
    ...config.counters.map((c, i) => ({
      device: c.device,
      tag: c.output,
      at: ['derived', 'counters', i, 'output'],
    })),
    ...config.oee.flatMap((o, i) =>
      Object.values(OEE_TAGS).flatMap((tag) =>
        [tag, `shift_${tag}`].map((t) => ({ device: o.device, tag: t, at: ['derived', 'oee', i, 'device'] })),
      ),
    ),
  ];
}

function key(device: string, tag: string): string {
  return `${device}\u0000${tag}`;
}

function derived(
  device: string,
  tag: string,
  value: SampleValue,
  sourceTime: number,
  receivedAt: number,
  quality: Quality = 'good',
): Sample {
  return { device, tag, value, quality, statusCode: 0, sourceTime, receivedAt };
}
