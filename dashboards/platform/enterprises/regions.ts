/**
 * Regions are GB/T 2260 administrative division codes: 6 digits, province (2), prefecture (2),
 * county (2), e.g. 330784 永康市, 330203 宁波市海曙区, 330183 杭州市富阳区, 410600 鹤壁市,
 * 440100 广州市. An enterprise sits in a 6-digit code; an officer answers for a prefix: 4401 (广州市)
 * covers every district of 广州, 330784 only 永康市.
 */
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

/** Why `code` is not an enterprise's region (a 6-digit GB/T 2260 code), or undefined. */
export function regionProblem(code: string): string | undefined {
  if (!/^\d{6}$/.test(code)) return `region "${code}": a GB/T 2260 code has 6 digits, e.g. 330784`;
  if (!PROVINCES.has(code.slice(0, 2))) return `region "${code}": ${code.slice(0, 2)} is no province code`;
  return undefined;
}

/** Why `prefix` is not an officer's region (2, 4 or 6 digits of a GB/T 2260 code), or undefined. */
export function regionPrefixProblem(prefix: string): string | undefined {
  if (!/^(\d{2}|\d{4}|\d{6})$/.test(prefix))
    return `region "${prefix}": 2, 4 or 6 digits of a GB/T 2260 code (33 a province, 3307 a prefecture, 330784 a county)`;
  if (!PROVINCES.has(prefix.slice(0, 2)))
    return `region "${prefix}": ${prefix.slice(0, 2)} is no province code`;
  return undefined;
}

/** Whether an officer's prefix covers an enterprise's region. */
export const regionCovers = (prefix: string, region: string) => region.startsWith(prefix);
