/**
 * The radar's four axes computed exactly (three dimensions as points over maximum, 数字化经营 as the
 * average scene level over 4) and drawn where they should be; the HTML report carries it inline, says
 * an unrecorded result is not an official level, and leaves the signature lines open.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from './catalogue/load.ts';
import { fortyPoints } from './fixtures.ts';
import { radarAxes, radarSvg } from './radar.ts';
import { buildReport, renderHtml } from './report.ts';

const answers = fortyPoints();
for (const s of ['产品设计', '营销管理', '生产管控', '工艺设计', '售后服务', '计划排程'])
  answers.scenes[s] = 2;
answers.items['pass-rate'] = { options: ['increased'] };
const report = buildReport(loadCatalogue('2024'), answers, null);

describe('radar', () => {
  it('puts 数字化经营 second, as the average of the 16 scene levels over 4', () => {
    expect(
      radarAxes(
        report.dimensions,
        report.scenes.map((s) => s.level),
      ),
    ).toEqual([
      { name: '数字化基础', share: 0.8, label: '40 / 50' },
      { name: '数字化经营', share: 0.1875, label: '0.75 / 4' },
      { name: '数字化管理', share: 0, label: '0 / 30' },
      { name: '数字化成效', share: 0.35, label: '7 / 20' },
    ]);
  });

  it('draws the polygon clockwise from the top, the earlier series dashed', () => {
    const axes = radarAxes(
      report.dimensions,
      report.scenes.map((s) => s.level),
    );
    const svg = radarSvg([{ title: '本次评测', axes }]);
    expect(svg).toContain('<polygon points="280.0,88.0 306.3,200.0 280.0,200.0 231.0,200.0" fill="rgba');
    const two = radarSvg([
      { title: '对比基准', axes: axes.map((a) => ({ ...a, share: 0 })) },
      { title: '本次评测', axes },
    ]);
    expect(two.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(two).toContain('┅ 对比基准');
  });

  it('is inline in the HTML report, which marks an unrecorded result as not official and has open signature lines', () => {
    const html = renderHtml(report);
    expect(html).toContain('<svg class="radar"');
    expect(html).toContain('<tr><th>评测阶段</th><td>未登记（本结果不是正式等级）</td></tr>');
    expect(html).toContain('<tr><th>评测人员</th><td></td><th>签字</th><td></td><th>日期</th><td></td></tr>');
    expect(html).not.toContain('评测前后对比');
    expect(html).toContain('<p class="verdict-title">设备数据：未使用</p>');
  });
});
