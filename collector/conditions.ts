import type { Logger } from '../core/log.ts';

/** Distinct reasons logged within one episode of a condition; beyond that they are only counted. */
const MAX_REASONS = 20;

/**
 * Logs a bad condition once when it begins and once when it clears, instead of once per poll:
 * a dead PLC polled every second must not write 86,400 identical lines a day. A new `reason` within
 * the episode is logged once too (a store first refusing connections, then answering "database not
 * found", is two problems). Callers still count every occurrence in metrics.
 */
export class ConditionLog {
  private readonly active = new Map<string, { since: number; count: number; reasons: Set<unknown> }>();

  constructor(private readonly log: Logger) {}

  /** Records one occurrence of `kind` for the subject (e.g. device and tag); logs only the first. */
  raise(
    subject: { device: string; tag?: string },
    kind: string,
    message: string,
    detail?: Record<string, unknown>,
  ): void {
    const key = conditionKey(subject, kind);
    const current = this.active.get(key);
    const reason = detail?.reason;
    if (current) {
      current.count += 1;
      if (reason === undefined || current.reasons.has(reason) || current.reasons.size >= MAX_REASONS) return;
      current.reasons.add(reason);
      this.log.warn(
        { ...subject, condition: kind, ...detail, occurrences: current.count },
        `${message} (new reason)`,
      );
      return;
    }
    this.active.set(key, { since: Date.now(), count: 1, reasons: new Set([reason]) });
    this.log.warn({ ...subject, condition: kind, ...detail }, message);
  }

  /** Ends the condition, logging how long it lasted and how often it occurred. */
  clear(subject: { device: string; tag?: string }, kind: string): void {
    const key = conditionKey(subject, kind);
    const current = this.active.get(key);
    if (!current) return;
    this.active.delete(key);
    this.log.info(
      { ...subject, condition: kind, occurrences: current.count, durationMs: Date.now() - current.since },
      `${kind} cleared`,
    );
  }

  isActive(subject: { device: string; tag?: string }, kind: string): boolean {
    return this.active.has(conditionKey(subject, kind));
  }
}

function conditionKey(subject: { device: string; tag?: string }, kind: string): string {
  return `${subject.device}\u0000${subject.tag ?? ''}\u0000${kind}`;
}
