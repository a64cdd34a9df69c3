/**
 * A reader's place in the log: everything before `next` is acknowledged, plus ranges above it that
 * were acknowledged out of order (live data sent while the backlog still drains). Persisted, so a
 * restart resends neither the drained backlog nor the live data already delivered.
 */
export type SeqRange = [from: number, to: number];

export class ReaderPosition {
  constructor(
    public next: number,
    /** Sorted, disjoint, each above `next` and not touching it. */
    public ranges: SeqRange[] = [],
  ) {}

  static parse(text: string): ReaderPosition {
    const stored = JSON.parse(text) as { next: number; acked?: SeqRange[] };
    const position = new ReaderPosition(stored.next);
    for (const [from, to] of stored.acked ?? []) position.ack(from, to);
    return position;
  }

  serialize(): string {
    return JSON.stringify({ next: this.next, acked: this.ranges });
  }

  /** Marks [from, to) acknowledged; returns whether anything changed. */
  ack(from: number, to: number): boolean {
    if (to <= from || to <= this.next) return false;
    const before = this.serialize();
    const merged: SeqRange[] = [];
    let current: SeqRange = [Math.max(from, this.next), to];
    for (const range of this.ranges) {
      if (range[1] < current[0]) merged.push(range);
      else if (range[0] > current[1]) {
        merged.push(current);
        current = range;
      } else current = [Math.min(range[0], current[0]), Math.max(range[1], current[1])];
    }
    merged.push(current);
    if ((merged[0] as SeqRange)[0] <= this.next) {
      this.next = (merged.shift() as SeqRange)[1];
    }
    this.ranges = merged;
    return this.serialize() !== before;
  }

  isAcked(seq: number): boolean {
    if (seq < this.next) return true;
    return this.ranges.some(([from, to]) => seq >= from && seq < to);
  }

  /** Moves `next` up to at least `seq` (records below it no longer exist). */
  advanceTo(seq: number): void {
    if (seq <= this.next) return;
    this.next = seq;
    this.ranges = this.ranges.filter(([, to]) => to > seq);
    const first = this.ranges[0];
    if (first && first[0] <= this.next) {
      this.next = first[1];
      this.ranges.shift();
    }
  }

  /** Where the unacknowledged stretch starting at `next` ends: the first out-of-order acknowledged range. */
  get gapEnd(): number {
    return this.ranges[0]?.[0] ?? Number.POSITIVE_INFINITY;
  }
}
