/**
 * The performance targets (issues 2, 3 and 4) and how each is judged. Comparisons are paired by round:
 * each round runs every scenario back to back, so a ratio or difference is taken within a round
 * and the median over rounds is reported, which cancels most of the drift a shared machine adds.
 */
import type { LoadResult } from './load.js';
import { median } from './stats.js';

export interface RunSettings {
  connections: number;
}

export type Rounds = ReadonlyMap<string, readonly LoadResult[]>;

export interface TargetOutcome {
  status: 'pass' | 'fail' | 'n/a';
  /** The measured value, e.g. `0.93×`. */
  measured: string;
}

export interface Target {
  description: string;
  evaluate(rounds: Rounds, settings: RunSettings): TargetOutcome;
}

/** Median over rounds of `a`'s req/s (or another figure) divided by `b`'s in the same round. */
export function pairedRatio(rounds: Rounds, a: string, b: string, figure: 'requestsPerSecond' | 'serverCpuPerRequest' = 'requestsPerSecond'): number {
  const ra = rounds.get(a);
  const rb = rounds.get(b);
  if (!ra || !rb) return Number.NaN;
  return median(ra.map((r, i) => r[figure] / (rb[i]?.[figure] ?? Number.NaN)));
}

/** Median over rounds of `a`'s p99 minus `b`'s in the same round, in ms. */
export function pairedP99Delta(rounds: Rounds, a: string, b: string): number {
  const ra = rounds.get(a);
  const rb = rounds.get(b);
  if (!ra || !rb) return Number.NaN;
  return median(ra.map((r, i) => r.p99 - (rb[i]?.p99 ?? Number.NaN)));
}

const NA: TargetOutcome = { status: 'n/a', measured: 'not run' };

function ratioAtLeast(a: string, b: string, min: number): Target['evaluate'] {
  return (rounds) => {
    const ratio = pairedRatio(rounds, a, b);
    if (Number.isNaN(ratio)) return NA;
    return { status: ratio >= min ? 'pass' : 'fail', measured: `${ratio.toFixed(3)}×` };
  };
}

function p99Within(a: string, b: string, maxMs: number, atConnections: number): Target['evaluate'] {
  return (rounds, settings) => {
    const delta = pairedP99Delta(rounds, a, b);
    if (Number.isNaN(delta)) return NA;
    const measured = `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms`;
    if (settings.connections !== atConnections) return { status: 'n/a', measured: `${measured} (at ${settings.connections} connections, target is at ${atConnections})` };
    return { status: delta <= maxMs ? 'pass' : 'fail', measured };
  };
}

export const TARGETS: Target[] = [
  { description: 'pass-through (1 route) req/s ≥ 0.9× bare proxy', evaluate: ratioAtLeast('portcullis-1-route', 'bare-proxy', 0.9) },
  { description: '1,000 routes req/s ≥ 0.95× 1 route', evaluate: ratioAtLeast('portcullis-1000-routes', 'portcullis-1-route', 0.95) },
  { description: 'p99 at 50 connections within 1 ms of bare proxy (1 route)', evaluate: p99Within('portcullis-1-route', 'bare-proxy', 1, 50) },
  { description: 'p99 at 50 connections within 1 ms of bare proxy (1,000 routes)', evaluate: p99Within('portcullis-1000-routes', 'bare-proxy', 1, 50) },
  { description: 'HS256 JWT + CORS req/s ≥ 0.85× pass-through (1 route)', evaluate: ratioAtLeast('portcullis-jwt-cors', 'portcullis-1-route', 0.85) },
  { description: 'RS256 via JWKS, warm token cache, req/s ≥ 0.8× pass-through (1 route)', evaluate: ratioAtLeast('portcullis-rs256-jwks', 'portcullis-1-route', 0.8) },
  { description: 'local rate limit req/s ≥ 0.9× pass-through (1 route)', evaluate: ratioAtLeast('portcullis-rate-limit-local', 'portcullis-1-route', 0.9) },
  { description: 'cluster (Redis) rate limit req/s ≥ 0.6× pass-through (1 route)', evaluate: ratioAtLeast('portcullis-rate-limit-cluster', 'portcullis-1-route', 0.6) },
];
