/** The Markdown the suite prints and records: machine, settings, one row per scenario, targets. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import type { LoadResult } from './load.js';
import { BASELINE, type Scenario } from './scenarios.js';
import { median } from './stats.js';
import { pairedP99Delta, pairedRatio, TARGETS, type Rounds } from './targets.js';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memoryGb: number;
  /** 1, 5 and 15 minute load averages when the run started: how busy the machine already was. */
  loadAtStart: number[];
  date: string;
}

export interface RunConfig {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  pipelining: number;
  logFile: string;
  /** Which undici API the baseline uses. */
  bareMode: 'stream' | 'dispatch';
  note: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: os.cpus() has the model too.
  }
  return {
    cpu,
    cores: availableParallelism(),
    node: process.version,
    os: `${osType()} ${release()}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const signed = (n: number) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(2)} ms` : '–');
const mark = { pass: '✅ pass', fail: '❌ fail', 'n/a': '– n/a' } as const;

export function renderMarkdown(machine: Machine, run: RunConfig, scenarios: readonly Scenario[], rounds: Rounds): string {
  const out: string[] = [];
  out.push(`### Run of ${machine.date}`, '');
  out.push(
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}; Node ${machine.node}; load average at start ${machine.loadAtStart.join(' / ')}`,
    `- **Load:** autocannon, ${run.connections} connections, pipelining ${run.pipelining}; ${run.rounds} round(s) × ${run.duration} s per scenario, each after a ${run.warmup} s warm-up; scenarios interleaved (order rotated each round); figures are medians over rounds`,
    `- **Baseline:** \`${BASELINE}\` forwards with undici \`Pool.${run.bareMode}\``,
    `- **Gateway:** access log on, written to \`${run.logFile}\` through the gateway's own pino destination (src/observability/logger.ts)`,
  );
  if (run.note) out.push(`- **Note:** ${run.note}`);
  out.push('');
  out.push(`| scenario | what | req/s | p50 (ms) | p99 (ms) | req/s vs ${BASELINE} | p99 vs ${BASELINE} | server CPU (µs/req) | CPU vs ${BASELINE} | non-2xx / errors |`);
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of scenarios) {
    const r = rounds.get(s.name) ?? [];
    const bad = r.reduce((n, x) => n + x.non2xx, 0);
    const errors = r.reduce((n, x) => n + x.errors, 0);
    const isBase = s.name === BASELINE;
    // `direct` measures the upstream's CPU, not a proxy's: no CPU ratio for it.
    const cpuRatio = isBase ? '1.000×' : s.server === 'direct' ? '–' : `${fmt(pairedRatio(rounds, s.name, BASELINE, 'serverCpuPerRequest'), 3)}×`;
    out.push(
      `| \`${s.name}\` | ${s.description} | ${int(median(r.map((x) => x.requestsPerSecond)))} | ${fmt(median(r.map((x) => x.p50)), 2)} | ${fmt(median(r.map((x) => x.p99)), 2)} | ${isBase ? '1.000× (baseline)' : `${fmt(pairedRatio(rounds, s.name, BASELINE), 3)}×`} | ${isBase ? '–' : signed(pairedP99Delta(rounds, s.name, BASELINE))} | ${fmt(median(r.map((x) => x.serverCpuPerRequest)), 1)} | ${cpuRatio} | ${bad} / ${errors} |`,
    );
  }
  out.push('');
  out.push('| target | measured | result |', '|---|---|---|');
  for (const t of TARGETS) {
    const o = t.evaluate(rounds, { connections: run.connections });
    out.push(`| ${t.description} | ${o.measured} | ${mark[o.status]} |`);
  }
  out.push('');
  out.push('<details><summary>Per round: req/s (p99 ms; server CPU µs/req)</summary>', '');
  out.push(`| scenario | ${Array.from({ length: run.rounds }, (_, i) => `round ${i + 1}`).join(' | ')} |`);
  out.push(`|---|${'---:|'.repeat(run.rounds)}`);
  for (const s of scenarios) {
    const r = rounds.get(s.name) ?? [];
    out.push(`| \`${s.name}\` | ${r.map((x: LoadResult) => `${int(x.requestsPerSecond)} (${fmt(x.p99, 2)}; ${fmt(x.serverCpuPerRequest, 1)})`).join(' | ')} |`);
  }
  out.push('', '</details>', '');
  return out.join('\n');
}

export const RESULTS_START = '<!-- bench:results:start -->';
export const RESULTS_END = '<!-- bench:results:end -->';

/** Puts `results` between the markers of docs/benchmarks.md, keeping the prose around them. */
export function replaceResults(doc: string, results: string): string {
  const start = doc.indexOf(RESULTS_START);
  const end = doc.indexOf(RESULTS_END);
  if (start === -1 || end < start) return `${doc.trimEnd()}\n\n## Results\n\n${RESULTS_START}\n${results}\n${RESULTS_END}\n`;
  return `${doc.slice(0, start + RESULTS_START.length)}\n${results}\n${doc.slice(end)}`;
}
