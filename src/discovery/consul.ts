/**
 * `discovery: { type: consul }`: the passing instances of a Consul service, followed with
 * blocking queries on GET /v1/health/service/<service>?passing.
 *
 * Each request carries the last `X-Consul-Index` and `wait`; Consul holds it until the service
 * changes or `wait` elapses (plus up to wait/16 jitter it adds), so a change arrives at once.
 * Index rules are in consul-index.ts; successive requests are at least `minIntervalMs` apart
 * (default 500 ms) so a misbehaving index cannot spin the loop. The HTTP timeout is longer than
 * the wait (wait × 17/16 + 10 s). The ACL token goes in the `X-Consul-Token` header — never in the
 * URL (proxies and access logs keep URLs) and never in logs or error messages.
 *
 * Target: Service.Address, or Node.Address when the service registered none; Service.Port;
 * weight Service.Weights.Passing (default 1). An entry without a usable port/address is skipped
 * with a warning. A non-200 answer, a network error or a body that is not a JSON array is an
 * outage: the last targets stay, the index resets, retries back off (1 s doubling to 30 s).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { parseDuration } from '../config/units.js';
import { Duration } from '../config/schema-helpers.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { nextConsulIndex } from './consul-index.js';
import type { DiscoveredTarget, DiscoveryDeps, DiscoveryProvider } from './provider.js';
import { TargetReporter } from './reporter.js';
import { targetUrl } from './targets.js';


export const ConsulDiscoverySchema = Type.Object(
  {
    type: Type.Literal('consul', { description: 'Targets from the passing instances of a Consul service.' }),
    url: Type.String({ minLength: 1, description: 'Consul HTTP API base URL, e.g. http://127.0.0.1:8500 (no credentials in it).' }),
    service: Type.String({ minLength: 1, description: 'The Consul service name, e.g. orders.' }),
    token: Type.Optional(Type.String({ minLength: 1, description: 'ACL token, sent as the X-Consul-Token header (use ${CONSUL_TOKEN}).' })),
    datacenter: Type.Optional(Type.String({ minLength: 1, description: 'Datacenter to query (dc=). Default: the agent\'s own.' })),
    tag: Type.Optional(Type.String({ minLength: 1, description: 'Only instances carrying this tag.' })),
    scheme: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')], { description: 'Scheme of the target URLs. Default http.', 'x-message': 'must be http or https' })),
    wait: Type.Optional(Duration('How long Consul may hold a blocking query open when nothing changes (at most 10m). Default 5m.')),
  },
  { additionalProperties: false, description: 'Follow a Consul service with blocking queries.' },
);
export type ConsulDiscoveryConfig = Static<typeof ConsulDiscoverySchema>;

export interface ConsulProviderOptions {
  /** Minimum time between the starts of two requests, ms. Default 500. */
  minIntervalMs?: number;
  /** Retry delays during an outage. Default 1 s doubling to 30 s. */
  backoff?: BackoffOptions;
}

interface ConsulHealthEntry {
  Node?: { Address?: unknown };
  Service?: { Address?: unknown; Port?: unknown; Weights?: { Passing?: unknown } };
}

/** Targets from a /v1/health/service answer; throws when it is not an array (garbage). */
export function consulTargets(body: unknown, scheme: string, logger: Logger, description: string): DiscoveredTarget[] {
  if (!Array.isArray(body)) throw new Error('Consul answered something other than a JSON array');
  const targets: DiscoveredTarget[] = [];
  for (const raw of body as ConsulHealthEntry[]) {
    const service = raw?.Service;
    const address = typeof service?.Address === 'string' && service.Address !== '' ? service.Address : raw?.Node?.Address;
    const port = service?.Port;
    if (typeof address !== 'string' || address === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      logger.warn({ discovery: description, entry: JSON.stringify(raw).slice(0, 200) }, 'Consul entry without a usable address/port; skipped');
      continue;
    }
    const weight = service?.Weights?.Passing;
    targets.push({ url: targetUrl(scheme, address, port), weight: typeof weight === 'number' && weight >= 1 ? Math.floor(weight) : 1 });
  }
  return targets;
}

export function consulProvider(config: ConsulDiscoveryConfig, deps: DiscoveryDeps, options: ConsulProviderOptions = {}): DiscoveryProvider {
  const waitMs = Math.min(parseDuration(config.wait ?? '5m'), 600_000);
  const scheme = config.scheme ?? 'http';
  const minIntervalMs = options.minIntervalMs ?? 500;
  const base = new URL(config.url);
  const path = `${base.pathname.replace(/\/+$/, '')}/v1/health/service/${encodeURIComponent(config.service)}`;
  const description = `consul ${config.service} @${base.origin}`;
  const logger = deps.logger;
  const headers: Record<string, string> = { accept: 'application/json', ...(config.token !== undefined ? { 'x-consul-token': config.token } : {}) };
  // Consul adds up to wait/16 of jitter; the rest is slack for a slow network.
  const headersTimeout = Math.ceil(waitMs * 17 / 16) + 10_000;

  let running: { abort: AbortController; agent: Agent } | null = null;

  function urlFor(index: number): string {
    const q = new URLSearchParams({ passing: 'true' });
    if (config.datacenter !== undefined) q.set('dc', config.datacenter);
    if (config.tag !== undefined) q.set('tag', config.tag);
    if (index > 0) {
      q.set('index', String(index));
      q.set('wait', `${waitMs}ms`);
    }
    return `${base.origin}${path}?${q}`;
  }

  function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async function fetchOnce(index: number, agent: Agent, signal: AbortSignal): Promise<{ body: unknown; index: string | string[] | undefined }> {
    const res = await request(urlFor(index), { method: 'GET', headers, dispatcher: agent, signal, headersTimeout, bodyTimeout: 30_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`Consul answered ${res.statusCode}: ${text.trim().slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('Consul answered a body that is not JSON');
    }
    return { body, index: res.headers['x-consul-index'] };
  }

  async function loop(reporter: TargetReporter, agent: Agent, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    let index = 0;
    while (!signal.aborted) {
      const started = Date.now();
      let delay: number;
      try {
        const answer = await fetchOnce(index, agent, signal);
        const targets = consulTargets(answer.body, scheme, logger, description);
        const next = nextConsulIndex(index, answer.index);
        if (next === 0 && index !== 0) logger.debug({ discovery: description, previous: index, header: answer.index }, 'Consul index went backwards or is invalid; resetting');
        index = next;
        backoff.reset();
        if (signal.aborted) return;
        reporter.targets(targets);
        delay = Math.max(0, minIntervalMs - (Date.now() - started));
      } catch (err) {
        if (signal.aborted) return;
        // After an outage Consul may be a fresh server with a lower index: start over.
        index = 0;
        reporter.failure(new Error(`${description}: ${(err as Error).message}`));
        delay = backoff.next();
      }
      await sleep(delay, signal);
    }
  }

  return {
    description,
    start(callbacks) {
      if (running !== null) throw new Error(`${description}: already started`);
      const abort = new AbortController();
      // Its own connection pool: a blocking query holds a connection for up to `wait`.
      const agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });
      running = { abort, agent };
      const reporter = new TargetReporter(callbacks, logger, description);
      abort.signal.addEventListener('abort', () => reporter.close(), { once: true });
      void loop(reporter, agent, abort.signal);
    },
    stop() {
      const r = running;
      running = null;
      if (r === null) return;
      r.abort.abort();
      void r.agent.destroy().catch(() => undefined);
    },
  };
}
