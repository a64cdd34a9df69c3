import type { Logger } from '../core/log.ts';

/**
 * Logs a bad condition once when it begins and once when it clears, instead of once per poll:
 * a dead PLC polled every second must not write 86,400 identical lines a day. Callers still count
 * every occurrence in metrics.
 */
export class ConditionLog {
  private readonly active = new Map<string, { since: number; count: number }>();

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
    if (current) {
      current.count += 1;
      return;
    }
    this.active.set(key, { since: Date.now(), count: 1 });
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
