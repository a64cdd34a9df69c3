/**
 * Per device: when its attested data starts and ends in the window, how much of the window it
 * covers (share of minutes with at least one attested point) and the gaps. For the assessment.
 */
export interface DeviceEvidence {
  device: string;
  firstAttested: number | undefined;
  lastAttested: number | undefined;
  /** Percent of the window's buckets with at least one attested point, two decimals. */
  coveragePercent: number;
  gaps: { from: number; to: number }[];
  attestedPoints: number;
  unattestedPoints: number;
}

export class EvidenceCollector {
  private readonly buckets: Uint8Array;
  private first: number | undefined;
  private last: number | undefined;
  private attested = 0;
  private unattested = 0;

  constructor(
    readonly device: string,
    private readonly window: { from: number; to: number },
    private readonly bucketMs: number,
  ) {
    this.buckets = new Uint8Array(Math.max(1, Math.ceil((window.to - window.from) / bucketMs)));
  }

  add(time: number, attested: boolean): void {
    if (time < this.window.from || time >= this.window.to) return;
    if (!attested) {
      this.unattested += 1;
      return;
    }
    this.attested += 1;
    this.first = Math.min(this.first ?? time, time);
    this.last = Math.max(this.last ?? time, time);
    this.buckets[Math.floor((time - this.window.from) / this.bucketMs)] = 1;
  }

  /** Gaps are runs of empty buckets at least `minGapMs` long. */
  summary(minGapMs: number): DeviceEvidence {
    const gaps: { from: number; to: number }[] = [];
    let filled = 0;
    let gapStart: number | undefined;
    const close = (end: number) => {
      if (gapStart !== undefined && end - gapStart >= minGapMs) gaps.push({ from: gapStart, to: end });
      gapStart = undefined;
    };
    for (let i = 0; i < this.buckets.length; i++) {
      const start = this.window.from + i * this.bucketMs;
      if (this.buckets[i]) {
        filled += 1;
        close(start);
      } else gapStart ??= start;
    }
    close(this.window.to);
    return {
      device: this.device,
      firstAttested: this.first,
      lastAttested: this.last,
      coveragePercent: Math.round((filled / this.buckets.length) * 10_000) / 100,
      gaps,
      attestedPoints: this.attested,
      unattestedPoints: this.unattested,
    };
  }
}
