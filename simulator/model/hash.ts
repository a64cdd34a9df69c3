/**
 * Seeded, stateless randomness: every random choice of the simulator is a hash of (seed, what, when),
 * so any value at any simulated time can be recomputed without replaying history.
 */

function mix(h: number, k: number): number {
  let x = Math.imul(k | 0, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

function finalize(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit key for a string (FNV-1a), to feed ids into {@link unit}. */
export function keyOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A uniform number in [0, 1) determined by the seed and three or four integer keys (murmur3-style mixing). */
export function unit(seed: number, a: number, b: number, c: number, d?: number): number {
  let h = mix(mix(mix(seed | 0, a), b), c);
  if (d !== undefined) h = mix(h, d);
  return finalize(h ^ (d === undefined ? 3 : 4)) / 4294967296;
}

/** A uniform number in [-1, 1), for small deterministic noise. */
export function noise(seed: number, a: number, b: number, c: number, d?: number): number {
  return unit(seed, a, b, c, d) * 2 - 1;
}
