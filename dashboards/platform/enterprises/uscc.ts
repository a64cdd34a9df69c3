/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
 * alphabet (digits and capitals without I, O, Z, S, V); the last is a check character computed from
 * the first 17 with weights 3^(i) mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters, or undefined when one is outside the alphabet. */
export function usccCheckCharacter(first17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = ALPHABET.indexOf(first17[i] ?? '');
    if (value < 0) return undefined;
    sum += value * (WEIGHTS[i] as number);
  }
  return ALPHABET[(31 - (sum % 31)) % 31];
}

/** Why a code is not a valid unified social credit code, or undefined when it is. */
export function usccProblem(code: string): string | undefined {
  if (code.length !== 18) return `has ${code.length} characters, a unified social credit code has 18`;
  const bad = [...code].findIndex((c) => !ALPHABET.includes(c));
  if (bad >= 0)
    return `character ${bad + 1} ("${code[bad]}") is not one of the code's 31 (digits and capitals without I, O, S, V, Z)`;
  if (!/^\d{6}$/.test(code.slice(2, 8)))
    return `characters 3–8 ("${code.slice(2, 8)}") must be the registering authority's region code (6 digits)`;
  const check = usccCheckCharacter(code.slice(0, 17));
  if (check !== code[17]) return `the check character is "${code[17]}", GB 32100-2015 gives "${check}"`;
  return undefined;
}
