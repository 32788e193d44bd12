/**
 * `npm run bench`: starts the upstream and every proxy under test in their own processes, then
 * drives each scenario with autocannon from this process, in interleaved rounds, and prints a
 * Markdown table (also written to bench/results/latest.md, and into docs/benchmarks.md with
 * BENCH_WRITE=1). See docs/benchmarks.md for what is measured and how to read it.
 *
 * Environment (all optional):
 *   BENCH_DURATION=5      seconds measured per scenario per round
 *   BENCH_ROUNDS=3        rounds; each runs every scenario once, the order rotated each round
 *   BENCH_WARMUP=2        seconds of unmeasured load before each measurement
 *   BENCH_CONNECTIONS=50  concurrent client connections
 *   BENCH_PIPELINING=1    requests in flight per connection
 *   BENCH_ONLY=a,b        run only these scenarios (the baseline always runs)
 *   BENCH_BARE_MODE=stream  the baseline's undici API: stream (Pool.stream) or dispatch (Pool.dispatch)
 *   BENCH_LOG=/dev/null   where the gateways write their (access) log
 *   BENCH_NOTE=text       a note recorded with the results
 *   BENCH_WRITE=1         also record the results in docs/benchmarks.md
 *   BENCH_STRICT=1        exit 1 when a target fails
 *   BENCH_CPU_PROF=1      run the gateways with --cpu-prof (profiles in bench/results/profiles/)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { runLoad, type LoadOptions, type LoadResult } from './load.js';
import { startServer, stopAll, type BenchServer } from './processes.js';
import { describeMachine, renderMarkdown, replaceResults, type RunConfig } from './report.js';
import { BASELINE, requestOf, SCENARIOS, type Scenario, type ScenarioContext } from './scenarios.js';
import { makeCredentials } from './tokens.js';
import { hasRedisServer, REDIS_MISSING, startRedis, type TestRedis } from '../test/helpers/redis.js';
import type { UpstreamSettings } from './servers/upstream.js';
import type { BareProxySettings } from './servers/bare-proxy.js';
import type { GatewayServerSettings } from './servers/gateway.js';
import { UPSTREAM_BODY } from './servers/upstream-body.js';
import { TARGETS } from './targets.js';

const ROOT = new URL('../../', import.meta.url);
/** The redis-server the run started for the cluster scenario, stopped at exit. */
const started: { redis: TestRedis | null } = { redis: null };
const server = (file: string) => new URL(`./servers/${file}`, import.meta.url);

/** Listeners on free ports and the access log on; scenario configs add upstreams and routes. */
const gatewayHeader = (accessLog: boolean) => `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nlog: { level: info, access: ${accessLog} }\n`;

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function readConfig(): RunConfig & { only: string[] | null; write: boolean; strict: boolean; cpuProf: boolean } {
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : null;
  return {
    duration: envNumber('BENCH_DURATION', 5, 1),
    rounds: envNumber('BENCH_ROUNDS', 3, 1),
    warmup: envNumber('BENCH_WARMUP', 2, 0),
    connections: envNumber('BENCH_CONNECTIONS', 50, 1),
    pipelining: envNumber('BENCH_PIPELINING', 1, 1),
    logFile: process.env.BENCH_LOG || '/dev/null',
    bareMode: bareMode(process.env.BENCH_BARE_MODE),
    note: process.env.BENCH_NOTE ?? '',
    only,
    write: process.env.BENCH_WRITE === '1',
    strict: process.env.BENCH_STRICT === '1',
    cpuProf: process.env.BENCH_CPU_PROF === '1',
  };
}

function bareMode(raw: string | undefined): 'stream' | 'dispatch' {
  if (raw === undefined || raw === '' || raw === 'stream') return 'stream';
  if (raw === 'dispatch') return 'dispatch';
  throw new Error(`BENCH_BARE_MODE must be stream or dispatch, got "${raw}"`);
}

/** An origin nothing listens on (a port bound, then released). */
function closedOrigin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}

/** Starts what the scenario sends load to (for `direct`, the upstream itself). */
async function startScenarioServer(s: Scenario, ctx: ScenarioContext, upstream: BenchServer, execArgv: string[], config: RunConfig): Promise<BenchServer> {
  switch (s.server) {
    case 'direct':
      return upstream;
    case 'bare-proxy':
      return startServer<BareProxySettings>(s.name, server('bare-proxy.js'), { target: ctx.upstream, connections: 128, mode: config.bareMode });
    case 'gateway': {
      if (!s.config) throw new Error(`scenario ${s.name} runs the gateway but has no config`);
      const configText = gatewayHeader(s.accessLog ?? true) + s.config(ctx);
      return startServer<GatewayServerSettings>(s.name, server('gateway.js'), { configText, logFile: config.logFile }, execArgv);
    }
  }
}

/** One request through the scenario before any load: the right status and the upstream's body, or the run stops. */
async function preCheck(s: Scenario, origin: string, ctx: ScenarioContext): Promise<void> {
  const { method, path, headers, body } = requestOf(s, ctx);
  const res = await request(origin + path, { method: method as 'GET', headers, body: body ?? null });
  const text = await res.body.text();
  const status = s.expectStatus ?? 200;
  if (res.statusCode !== status) throw new Error(`pre-check ${s.name}: status ${res.statusCode}, expected ${status}: ${text.slice(0, 200)}`);
  if ((s.expectUpstreamBody ?? status < 300) && text !== UPSTREAM_BODY) throw new Error(`pre-check ${s.name}: the body is not the upstream's: ${text.slice(0, 200)}`);
  if (s.server === 'gateway' && res.headers['x-request-id'] === undefined) throw new Error(`pre-check ${s.name}: no X-Request-ID, so the gateway did not answer`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  const config = readConfig();
  const machine = describeMachine();
  const selected = config.only ? SCENARIOS.filter((s) => s.name === BASELINE || config.only!.includes(s.name)) : SCENARIOS;
  const scenarios = selected.filter((s) => {
    if (s.requiresRedis && !hasRedisServer) log(`bench: skipping ${s.name}: ${REDIS_MISSING}`);
    return !s.requiresRedis || hasRedisServer;
  });
  const unknown = (config.only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown scenarios: ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);

  const profileDir = fileURLToPath(new URL('bench/results/profiles/', ROOT));
  if (config.cpuProf) mkdirSync(profileDir, { recursive: true });
  const execArgv = config.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

  log(`bench: ${scenarios.length} scenarios × ${config.rounds} round(s) × (${config.warmup} s warm-up + ${config.duration} s), ${config.connections} connections`);
  const credentials = await makeCredentials();
  const upstream: BenchServer = await startServer<UpstreamSettings>('upstream', server('upstream.js'), { jwks: credentials.jwks });
  if (scenarios.some((s) => s.requiresRedis)) started.redis = await startRedis();
  const ctx: ScenarioContext = { upstream: upstream.url, deadTarget: await closedOrigin(), credentials, redisUrl: started.redis?.url ?? null };
  const servers = new Map<string, BenchServer>();
  for (const s of scenarios) servers.set(s.name, await startScenarioServer(s, ctx, upstream, execArgv, config));
  for (const s of scenarios) await preCheck(s, servers.get(s.name)!.url, ctx);

  const load: LoadOptions = { connections: config.connections, pipelining: config.pipelining, duration: config.duration };
  const rounds = new Map<string, LoadResult[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < config.rounds; round++) {
    // Rotate the order so no scenario always runs first (cold) or right after the heaviest one.
    const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]!);
    for (const s of order) {
      const target = servers.get(s.name)!;
      if (config.warmup > 0) await runLoad(target.url, requestOf(s, ctx), { ...load, duration: config.warmup });
      const cpuBefore = await target.cpuMicros();
      const result = await runLoad(target.url, requestOf(s, ctx), load);
      result.serverCpuPerRequest = ((await target.cpuMicros()) - cpuBefore) / result.responses;
      rounds.get(s.name)!.push(result);
      log(`round ${round + 1}/${config.rounds} ${s.name.padEnd(24)} ${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  cpu ${result.serverCpuPerRequest.toFixed(1)} µs/req  non-2xx ${result.non2xx}  errors ${result.errors}`);
    }
  }

  const markdown = renderMarkdown(machine, config, scenarios, rounds);
  process.stdout.write(`${markdown}\n`);
  const resultsDir = new URL('bench/results/', ROOT);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(new URL('latest.md', resultsDir), markdown);
  writeFileSync(new URL('latest.json', resultsDir), JSON.stringify({ machine, config, rounds: Object.fromEntries(rounds) }, null, 2) + '\n');
  if (config.write) {
    const docUrl = new URL('docs/benchmarks.md', ROOT);
    let doc = '# Benchmarks\n';
    try {
      doc = readFileSync(docUrl, 'utf8');
    } catch {
      // First run: start the document.
    }
    mkdirSync(new URL('docs/', ROOT), { recursive: true });
    writeFileSync(docUrl, replaceResults(doc, markdown));
    log('bench: results recorded in docs/benchmarks.md');
  }

  const failures = [...rounds.values()].flat().reduce((n, r) => n + r.non2xx + r.errors, 0);
  if (failures > 0) {
    log(`bench: ${failures} responses were not 2xx or failed; the figures above are not trustworthy`);
    return 1;
  }
  if (config.strict && TARGETS.some((t) => t.evaluate(rounds, config).status === 'fail')) return 1;
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
} finally {
  await stopAll();
  await started.redis?.close();
}
process.exit(code);
