import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from './metrics.ts';

describe('collector metrics', () => {
  it('counts delivered samples by device and quality, whichever way the counter is read, each once', async () => {
    const metrics = new CollectorMetrics();
    metrics.delivered('press-1', 'good');
    metrics.delivered('press-1', 'good', 4);
    metrics.delivered('press-1', 'bad', 2);
    metrics.delivered('oven-2', 'uncertain');
    expect(await metrics.count(metrics.samples, { device: 'press-1', quality: 'good' })).toBe(5);
    metrics.delivered('press-1', 'good', 10);
    const text = await metrics.registry.metrics();
    expect(text).toContain('shugai_collector_samples_total{device="press-1",quality="good"} 15');
    expect(text).toContain('shugai_collector_samples_total{device="press-1",quality="bad"} 2');
    expect(text).toContain('shugai_collector_samples_total{device="oven-2",quality="uncertain"} 1');
    expect(text).not.toContain('quality="uncertain"} 0');
    // Read again with nothing new: the same figures, not counted twice.
    expect(await metrics.count(metrics.samples, { device: 'press-1', quality: 'good' })).toBe(15);
    expect(await metrics.count(metrics.samples, { device: 'press-1', quality: 'bad' })).toBe(2);
  });
});
