/** Inputs every reader of people's files must refuse, shared by the tests of those readers. */

/**
 * A "billion laughs" in YAML: nine anchors of nine aliases of the one before, 9^9 (387 million)
 * "lol"s from nine lines, `a:` to `i:`. core/yaml.ts refuses it at the first alias of `f` (in `g`'s
 * line, the 7th of these) where the expansion passes its limit.
 */
export const BILLION_LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'
    .split('')
    .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
].join('\n');

/** What core/yaml.ts says of BILLION_LAUGHS, after `file:line: `. */
export const BILLION_LAUGHS_REFUSAL =
  'alias *f: too many aliases: they expand to more than 1,000,000 values (the YAML alias expansion limit; is this an alias bomb?)';
