/**
 * `discovery: { type: dns }`: targets from A, AAAA or SRV records, re-resolved when the answer's
 * TTL expires.
 *
 * Record type: `record: a | aaaa | srv`; when absent, a name starting with `_` (the SRV form
 * `_service._proto.name`) means srv, anything else a. A/AAAA need `port`; SRV records carry
 * their own port, and each SRV target host is resolved to its A records (AAAA when it has none)
 * through the same resolver, so the targets are addresses the gateway can dial.
 *
 * Why node's dns.Resolver (c-ares) and not `dns-packet` + dgram: c-ares already does timeouts,
 * retries, ID matching and the TCP fallback for truncated answers, and it reports TTLs for A/AAAA.
 * It does not report the SRV record's TTL, so an SRV set is re-read every `refresh` (default
 * 30s) — or sooner, when a target host's A TTL is shorter. That bounds staleness of the SRV set
 * at `refresh` without a new dependency or a hand-written DNS client to maintain.
 *
 * Answers: NXDOMAIN (ENOTFOUND) and NODATA (ENODATA) from a reachable server are real answers
 * — the name has no instances — and are reported as []. Anything else (refused, SERVFAIL,
 * timeout, connection refused) is an outage: the last targets stay and resolution is retried
 * with a capped backoff starting at `minTtl`.
 */
import { Resolver } from 'node:dns/promises';
import { Type, type Static } from '@sinclair/typebox';
import { parseDuration } from '../config/units.js';
import { Duration } from '../config/schema-helpers.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { parseResolver } from './check-url.js';
import { lowestPriorityGroup, nextResolveDelay, type TtlPolicy } from './dns-answer.js';
import type { DiscoveredTarget, DiscoveryDeps, DiscoveryProvider } from './provider.js';
import { TargetReporter } from './reporter.js';
import { targetUrl } from './targets.js';


export const DnsDiscoverySchema = Type.Object(
  {
    type: Type.Literal('dns', { description: 'Targets from DNS A, AAAA or SRV records.' }),
    name: Type.String({ minLength: 1, description: 'The name to resolve, e.g. _orders._tcp.example.internal (SRV) or orders.example.internal (A).' }),
    resolver: Type.String({ minLength: 1, description: 'DNS server to ask, IP[:port], e.g. 127.0.0.1:53 or [::1]:5353.' }),
    record: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('aaaa'), Type.Literal('srv')], { description: 'Record type. Default srv when name starts with "_", else a.', 'x-message': 'must be a, aaaa or srv' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Target port for A/AAAA records (required there; SRV records carry their own).' })),
    scheme: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')], { description: 'Scheme of the target URLs. Default http.', 'x-message': 'must be http or https' })),
    refresh: Type.Optional(Duration('Re-resolve interval when the TTL is 0 or unknown (SRV). Default 30s.')),
    minTtl: Type.Optional(Duration('Shortest time between resolutions, whatever the TTL says; also the first retry delay. Default 1s.')),
    maxTtl: Type.Optional(Duration('Longest time between resolutions, whatever the TTL says. Default 5m.')),
  },
  { additionalProperties: false, description: 'Resolve a DNS name and follow its TTL.' },
);
export type DnsDiscoveryConfig = Static<typeof DnsDiscoverySchema>;

export type DnsRecordType = 'a' | 'aaaa' | 'srv';

/** The record type a config asks for (see the header comment). */
export function dnsRecordType(config: Pick<DnsDiscoveryConfig, 'name' | 'record'>): DnsRecordType {
  return config.record ?? (config.name.startsWith('_') ? 'srv' : 'a');
}

export interface DnsProviderOptions {
  /** Per-query timeout, ms (c-ares doubles it on each try). Default 2000. */
  queryTimeoutMs?: number;
  /** Retry delays during an outage; default from minTtl up to min(maxTtl, 30s). */
  backoff?: BackoffOptions;
}

/** An answer: addresses or SRV records, with their TTLs in seconds (null = unknown). */
interface Resolution {
  targets: DiscoveredTarget[];
  ttls: Array<number | null>;
}

const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA']);

function isEmptyAnswer(err: unknown): boolean {
  return typeof err === 'object' && err !== null && EMPTY_ANSWER.has((err as { code?: string }).code ?? '');
}

export function dnsProvider(config: DnsDiscoveryConfig, deps: DiscoveryDeps, options: DnsProviderOptions = {}): DiscoveryProvider {
  const type = dnsRecordType(config);
  if (type !== 'srv' && config.port === undefined) throw new Error(`dns discovery of ${config.name}: "port" is required for ${type.toUpperCase()} records`);
  const scheme = config.scheme ?? 'http';
  const policy: TtlPolicy = {
    refreshMs: parseDuration(config.refresh ?? '30s'),
    minTtlMs: parseDuration(config.minTtl ?? '1s'),
    maxTtlMs: parseDuration(config.maxTtl ?? '5m'),
  };
  const server = parseResolver(config.resolver).server;
  const description = `dns ${type} ${config.name} @${server}`;
  const logger = deps.logger;

  let resolver: Resolver | null = null;
  let reporter: TargetReporter | null = null;
  let timer: NodeJS.Timeout | null = null;
  const backoff = new Backoff(options.backoff ?? { initialMs: policy.minTtlMs, maxMs: Math.max(policy.minTtlMs, Math.min(policy.maxTtlMs, 30_000)) });

  /** Addresses of `host` with TTLs; [] for NXDOMAIN/NODATA. */
  async function addresses(r: Resolver, host: string, family: 'a' | 'aaaa'): Promise<Array<{ address: string; ttl: number }>> {
    try {
      return family === 'a' ? await r.resolve4(host, { ttl: true }) : await r.resolve6(host, { ttl: true });
    } catch (err) {
      if (isEmptyAnswer(err)) return [];
      throw err;
    }
  }

  async function resolveOnce(r: Resolver): Promise<Resolution> {
    if (type !== 'srv') {
      const found = await addresses(r, config.name, type);
      return { targets: found.map((a) => ({ url: targetUrl(scheme, a.address, config.port!), weight: 1 })), ttls: found.map((a) => a.ttl) };
    }
    let records;
    try {
      records = await r.resolveSrv(config.name);
    } catch (err) {
      if (isEmptyAnswer(err)) return { targets: [], ttls: [] };
      throw err;
    }
    const group = lowestPriorityGroup(records);
    const targets: DiscoveredTarget[] = [];
    // The SRV record's own TTL is unknown to c-ares: null makes the schedule fall back to `refresh`.
    const ttls: Array<number | null> = [null];
    const hosts = [...new Set(group.map((s) => s.name))];
    const resolved = new Map<string, Array<{ address: string; ttl: number }>>();
    await Promise.all(hosts.map(async (host) => {
      let found = await addresses(r, host, 'a');
      if (found.length === 0) found = await addresses(r, host, 'aaaa');
      if (found.length === 0) logger.warn({ discovery: description, host }, 'SRV target has no A/AAAA records; skipped');
      resolved.set(host, found);
    }));
    for (const srv of group) {
      for (const a of resolved.get(srv.name) ?? []) {
        targets.push({ url: targetUrl(scheme, a.address, srv.port), weight: srv.weight === 0 ? 1 : srv.weight });
        ttls.push(a.ttl);
      }
    }
    return { targets, ttls };
  }

  function schedule(r: Resolver, delayMs: number): void {
    timer = setTimeout(() => {
      timer = null;
      void tick(r);
    }, delayMs);
  }

  async function tick(r: Resolver): Promise<void> {
    const rep = reporter;
    if (rep === null || rep.isClosed || resolver !== r) return;
    try {
      const answer = await resolveOnce(r);
      if (rep.isClosed || resolver !== r) return;
      backoff.reset();
      rep.targets(answer.targets);
      const delay = nextResolveDelay(answer.ttls, policy);
      logger.debug({ discovery: description, targets: answer.targets.length, nextMs: delay }, 'dns resolved');
      schedule(r, delay);
    } catch (err) {
      if (rep.isClosed || resolver !== r) return;
      const e = err as NodeJS.ErrnoException;
      rep.failure(new Error(`DNS ${type.toUpperCase()} ${config.name} @${server}: ${e.code ?? e.message}`));
      schedule(r, backoff.next());
    }
  }

  return {
    description,
    start(callbacks) {
      if (resolver !== null) throw new Error(`${description}: already started`);
      const r = new Resolver({ timeout: options.queryTimeoutMs ?? 2000, tries: 2 });
      r.setServers([server]);
      resolver = r;
      reporter = new TargetReporter(callbacks, logger, description);
      void tick(r);
    },
    stop() {
      reporter?.close();
      reporter = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      resolver?.cancel();
      resolver = null;
    },
  };
}
