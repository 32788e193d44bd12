import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from './fast-metrics.js';

describe('fast metrics render as Prometheus text through prom-client', () => {
  it('counts per label set and drops retired ones', async () => {
    const registry = new Registry();
    const c = new FastCounter('x_total', 'Things.');
    registry.registerMetric(c as never);
    for (let i = 0; i < 3; i++) if (!c.inc('a')) c.add('a', { route: 'a', status: '200' });
    if (!c.inc('b')) c.add('b', { route: 'b', status: '500' });
    let text = await registry.metrics();
    expect(text).toContain('# TYPE x_total counter');
    expect(text).toContain('x_total{route="a",status="200"} 3');
    expect(text).toContain('x_total{route="b",status="500"} 1');
    c.retain((labels) => labels['route'] === 'a');
    text = await registry.metrics();
    expect(text).not.toContain('route="b"');
  });

  it('histograms are cumulative with +Inf, sum and count', async () => {
    const registry = new Registry();
    const h = new FastHistogram('d_seconds', 'Durations.', [0.1, 1], 'route');
    registry.registerMetric(h as never);
    for (const v of [0.05, 0.1, 0.5, 2]) h.observe('r', v);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE d_seconds histogram');
    expect(text).toContain('d_seconds_bucket{route="r",le="0.1"} 2');
    expect(text).toContain('d_seconds_bucket{route="r",le="1"} 3');
    expect(text).toContain('d_seconds_bucket{route="r",le="+Inf"} 4');
    expect(text).toContain('d_seconds_sum{route="r"} 2.65');
    expect(text).toContain('d_seconds_count{route="r"} 4');
  });
});
