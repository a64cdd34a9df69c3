import { describe, expect, it } from 'vitest';
import { translator } from './i18n.ts';
import { performanceCell } from './plant.ts';

describe('the plant page’s performance cell', () => {
  const t = translator('zh-CN');
  it('shows a performance up to 100 % as it is', () => {
    expect(performanceCell(0.75, t)).toBe('75.0%');
    expect(performanceCell(1, t)).toBe('100.0%');
    expect(performanceCell(undefined, t)).toBe('—');
  });
  it('flags a performance above 100 % without capping it', () => {
    expect(performanceCell(1.125, t)).toBe(
      '112.5% ⚠ 高于 100%：实际节拍快于设定的理想节拍，请核对理想节拍时间',
    );
  });
});
