/**
 * Money and rates as decimal.js values; never JS numbers. Amounts are yuan, exact to the fen.
 * Rounding happens once, at the end of a computation, half-up to the fen (no seed document states
 * another rule); a funding split is made on the rounded total so its shares always add up to it.
 */
import { Decimal } from 'decimal.js';

/** A private Decimal with enough precision that no intermediate product or quotient is rounded. */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Dec = InstanceType<typeof Dec>;

export const ZERO = new Dec(0);

/** A money string: yuan, non-negative, at most two decimals ("300000", "299999.99"). */
export const MONEY_PATTERN = /^(0|[1-9]\d*)(\.\d{1,2})?$/;
/** A rate as a fraction ("0.4") or percent ("40%"). */
const RATE_PATTERN = /^(0|[1-9]\d*)(\.\d+)?%?$/;

export function isMoney(text: string): boolean {
  return MONEY_PATTERN.test(text);
}

export function money(text: string): Dec {
  if (!isMoney(text)) throw new Error(`"${text}" is not an amount in yuan (digits, at most two decimals)`);
  return new Dec(text);
}

/** "0.4" or "40%" → 0.4; must lie in [0, 1]. */
export function parseRate(text: string): Dec {
  if (!RATE_PATTERN.test(text)) throw new Error(`"${text}" is not a rate (write 0.15 or 15%)`);
  const rate = text.endsWith('%') ? new Dec(text.slice(0, -1)).div(100) : new Dec(text);
  if (rate.gt(1)) throw new Error(`rate "${text}" is above 100%`);
  return rate;
}

/** Half-up to the fen, the one rounding of every computation. */
export function roundFen(value: Dec): Dec {
  return value.toDecimalPlaces(2, Dec.ROUND_HALF_UP);
}

/** "180000.00": two decimals, no exponent. */
export function yuan(value: Dec): string {
  return value.toFixed(2);
}

/** 0.4 → "40%", 0.025 → "2.5%". */
export function percent(rate: Dec): string {
  return `${rate.mul(100).toFixed()}%`;
}

/**
 * Splits a fen-exact total by integer weights (5:3:2) so the shares add up to the total exactly.
 * Largest-remainder method in fen: each source first gets floor(total × weight / sum) fen; the fen
 * left over go one each to the sources with the largest remainders, ties to the source listed first.
 */
export function splitByWeights(total: Dec, weights: readonly { source: string; weight: number }[]): Dec[] {
  const fen = total.mul(100);
  if (!fen.isInteger()) throw new Error(`split of ${total.toString()}: not a whole number of fen`);
  const sum = weights.reduce((s, w) => s + w.weight, 0);
  const exact = weights.map((w) => fen.mul(w.weight).div(sum));
  const shares = exact.map((e) => e.floor());
  let left = fen.minus(shares.reduce((a, b) => a.plus(b), ZERO)).toNumber();
  const order = exact
    .map((e, index) => ({ index, remainder: e.minus(e.floor()) }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    shares[index] = shares[index]!.plus(1);
    left--;
  }
  return shares.map((s) => s.div(100));
}
