/** Exponential backoff with jitter, capped: what a device or a link waits after failing `attempt` times. */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/**
 * initialMs × 2^(attempt−1), capped at maxMs, then a random share of the upper half of it ("equal
 * jitter"), so links and devices that failed together do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
