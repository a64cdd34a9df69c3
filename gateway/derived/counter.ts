/**
 * Turns a controller's counter into a running total. A counter that goes down either wrapped
 * (16-bit part counters wrap at 65535) or was reset (a shift start, a controller restart). With a
 * rollover configured, a drop counts as a wrap when the increment it implies is small (at most
 * 1/16 of the range: a counter cannot make 4,096 parts between two polls); otherwise, and always
 * without a rollover, the counter restarted from 0. A reset close to the top is indistinguishable
 * from a wrap; it adds at most that 1/16 of the range.
 */
export class CounterTotal {
  private last: number | undefined;

  constructor(
    public total: number,
    private readonly rollover?: number,
  ) {}

  /** Feeds a raw reading; returns the increment it adds to the total. */
  observe(raw: number): number {
    const previous = this.last;
    this.last = raw;
    if (previous === undefined) return 0;
    let delta = raw - previous;
    if (delta < 0) {
      const wrappedDelta =
        this.rollover === undefined ? Number.POSITIVE_INFINITY : raw + (this.rollover + 1 - previous);
      delta = wrappedDelta <= ((this.rollover ?? 0) + 1) / 16 ? wrappedDelta : raw;
    }
    // Float meters (kWh) accumulate rounding noise; keep the total at the reading's precision.
    this.total = roundLike(this.total + delta, raw);
    return delta;
  }
}

function roundLike(value: number, reference: number): number {
  if (Number.isInteger(reference)) return Math.round(value);
  const decimals = Math.min(9, (String(reference).split('.')[1] ?? '').length + 3);
  return Number(value.toFixed(decimals));
}
