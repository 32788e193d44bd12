/**
 * portcullis_upstream_health{upstream,target} (1 healthy, 0 not: failing probes or ejected) and
 * portcullis_circuit_state{upstream,target} (0 closed, 1 half-open, 2 open), read from the
 * current runtime state at scrape time: nothing is kept per request, and targets that discovery
 * or a reload removed simply stop appearing.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import type { CompiledUpstream } from '../upstream/compiled-upstream.js';

export function registerUpstreamGauges(registry: Registry, upstreams: () => Iterable<CompiledUpstream>, clock: Clock): void {
  new Gauge({
    name: 'portcullis_upstream_health',
    help: 'Whether a target is healthy (1) or not (0: failing health checks or ejected after failures).',
    labelNames: ['upstream', 'target'],
    registers: [registry],
    collect() {
      this.reset();
      const now = clock.now();
      for (const u of upstreams()) for (const t of u.targets) this.set({ upstream: u.name, target: t.label }, t.health.healthy(now) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'portcullis_circuit_state',
    help: "A target's circuit breaker: 0 closed, 1 half-open, 2 open (targets of upstreams with a circuitBreaker).",
    labelNames: ['upstream', 'target'],
    registers: [registry],
    collect() {
      this.reset();
      const now = clock.now();
      for (const u of upstreams()) {
        for (const t of u.targets) {
          const breaker = t.health.breaker;
          if (breaker !== null) this.set({ upstream: u.name, target: t.label }, breaker.gaugeValue(now));
        }
      }
    },
  });
}
