/**
 * A stand-in for Consul, because no Consul package exists on this machine (Debian ships none and
 * the npm registry has no Consul binary). It speaks the documented HTTP API for the one endpoint
 * discovery uses — GET /v1/health/service/<name> — with what discovery relies on:
 *  - `passing` (bare or =true/1): only entries whose checks are all passing; `tag`, `dc` recorded;
 *  - `X-Consul-Index` on every answer; blocking queries: with `index=N` (N ≥ current index) the
 *    answer waits until the service changes or `wait` (Go duration, e.g. 5s, 1500ms; default 5m)
 *    elapses, then answers with the current data;
 *  - ACLs: when a token is required, a request without the right `X-Consul-Token` gets
 *    403 "ACL not found".
 * Test knobs: `setIndex` (make the index go backwards or to 0), `setRaw` (a garbage body),
 * `stop`/`start` (an outage: connections destroyed, then the same port again).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePorts } from './cli.js';

export interface ConsulEntry {
  Node: { Node: string; Address: string; Datacenter?: string };
  Service: { ID: string; Service: string; Tags: string[]; Address: string; Port: number; Weights?: { Passing: number; Warning: number } };
  Checks: Array<{ CheckID: string; Status: 'passing' | 'warning' | 'critical' }>;
}

/** An entry with sensible defaults: `entry({ address: '10.0.0.1', port: 8080 })`. */
export function consulEntry(o: { address?: string; nodeAddress?: string; port: number; weight?: number; status?: 'passing' | 'warning' | 'critical'; tags?: string[]; service?: string }): ConsulEntry {
  const node = o.nodeAddress ?? '10.9.9.9';
  return {
    Node: { Node: `node-${node}`, Address: node, Datacenter: 'dc1' },
    Service: { ID: `${o.service ?? 'svc'}-${o.address ?? node}-${o.port}`, Service: o.service ?? 'svc', Tags: o.tags ?? [], Address: o.address ?? '', Port: o.port, ...(o.weight !== undefined ? { Weights: { Passing: o.weight, Warning: 1 } } : {}) },
    Checks: [{ CheckID: 'serfHealth', Status: o.status ?? 'passing' }],
  };
}

export interface ConsulRequest {
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  /** When the request arrived (Date.now()). */
  at: number;
}

export interface ConsulFake {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: ConsulRequest[];
  /** Replaces a service's entries; bumps the index and wakes blocked queries. */
  setService(name: string, entries: ConsulEntry[]): void;
  /** Sets the index the next answers carry (and wakes blocked queries), e.g. lower than before. */
  setIndex(index: number): void;
  /** Answers `name` with this raw body (200, JSON content type) instead of its entries; null to undo. Wakes blocked queries. */
  setRaw(name: string, body: string | null): void;
  /** How many blocking queries are parked now. */
  waiting(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Go-style duration (`5s`, `1500ms`, `5m`, `1m30s`) in ms; NaN when invalid. */
function goDuration(value: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = value;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/.exec(rest);
    if (!m) return NaN;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return value === '' ? NaN : total;
}

export async function startConsulFake(options: { token?: string } = {}): Promise<ConsulFake> {
  const [port] = await freePorts(1);
  const services = new Map<string, ConsulEntry[]>();
  const raw = new Map<string, string>();
  const requests: ConsulRequest[] = [];
  const waiters = new Set<() => void>();
  let index = 1;
  let server: Server | null = null;

  const wake = () => {
    for (const w of [...waiters]) w();
  };

  const answer = (name: string, query: URLSearchParams, res: ServerResponse) => {
    res.setHeader('X-Consul-Index', String(index));
    res.setHeader('X-Consul-KnownLeader', 'true');
    res.setHeader('Content-Type', 'application/json');
    const body = raw.get(name);
    if (body !== undefined) return void res.end(body);
    const passing = query.has('passing') && !['false', '0'].includes(query.get('passing')!);
    const tag = query.get('tag');
    const entries = (services.get(name) ?? []).filter((e) => (!passing || e.Checks.every((c) => c.Status === 'passing')) && (tag === null || e.Service.Tags.includes(tag)));
    res.end(JSON.stringify(entries));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://consul');
    const token = req.headers['x-consul-token'] as string | undefined;
    requests.push({ path: url.pathname, query: url.searchParams, token, at: Date.now() });
    const m = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.statusCode = 404;
      return void res.end('Invalid URL path');
    }
    if (options.token !== undefined && token !== options.token) {
      res.statusCode = 403;
      return void res.end('ACL not found');
    }
    const name = decodeURIComponent(m[1]!);
    const wanted = Number(url.searchParams.get('index') ?? '0');
    const waitMs = url.searchParams.has('wait') ? goDuration(url.searchParams.get('wait')!) : 300_000;
    if (!Number.isFinite(wanted) || !Number.isFinite(waitMs)) {
      res.statusCode = 400;
      return void res.end('Invalid wait or index');
    }
    if (wanted <= 0 || wanted < index) return answer(name, url.searchParams, res);
    // A blocking query: park until something changes or the wait elapses.
    let timer: NodeJS.Timeout;
    const done = () => {
      waiters.delete(done);
      clearTimeout(timer);
      if (!res.destroyed) answer(name, url.searchParams, res);
    };
    timer = setTimeout(done, Math.min(waitMs, 600_000));
    waiters.add(done);
    req.on('close', () => {
      if (res.writableEnded) return;
      waiters.delete(done);
      clearTimeout(timer);
    });
  };

  const start = async () => {
    if (server !== null) return;
    const s = createServer(handle);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = null;
    if (s === null) return;
    for (const w of [...waiters]) waiters.delete(w);
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    port: port!,
    requests,
    setService(name, entries) {
      services.set(name, entries);
      index++;
      wake();
    },
    setIndex(n) {
      index = n;
      wake();
    },
    setRaw(name, body) {
      if (body === null) raw.delete(name);
      else raw.set(name, body);
      index++;
      wake();
    },
    waiting: () => waiters.size,
    start,
    stop,
    close: stop,
  };
}
