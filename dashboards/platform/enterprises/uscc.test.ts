// The unified social credit code's check character (GB 32100-2015) on real codes of real companies.
import { describe, expect, it } from 'vitest';
import { usccCheckCharacter, usccProblem } from './uscc.ts';

describe('unified social credit code', () => {
  it('accepts real codes, whose check characters are digits and letters', () => {
    // 华为技术有限公司, 阿里巴巴（中国）有限公司, 深圳市腾讯计算机系统有限公司, 中国石油天然气股份有限公司
    for (const code of [
      '914403001922038216',
      '91330100716105852F',
      '9144030071526726XG',
      '91110000100010433L',
    ])
      expect(usccProblem(code)).toBeUndefined();
    expect(usccCheckCharacter('91330100716105852')).toBe('F');
  });

  it('names what is wrong with a code', () => {
    expect(usccProblem('914403001922038217')).toBe('the check character is "7", GB 32100-2015 gives "6"');
    expect(usccProblem('91330100716105852G')).toBe('the check character is "G", GB 32100-2015 gives "F"');
    expect(usccProblem('91440300192203821')).toBe('has 17 characters, a unified social credit code has 18');
    expect(usccProblem('91440300192203821I')).toBe(
      'character 18 ("I") is not one of the code\'s 31 (digits and capitals without I, O, S, V, Z)',
    );
    expect(usccProblem('9144O3001922038216')).toContain('character 5 ("O")');
    expect(usccProblem('91AB03001922038216')).toBe(
      'characters 3–8 ("AB0300") must be the registering authority\'s region code (6 digits)',
    );
  });
});
