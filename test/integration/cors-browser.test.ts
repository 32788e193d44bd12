/**
 * CORS as a real browser enforces it: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) loads a page from one loopback origin and `fetch`es the gateway on another
 * (same host, other port: a different origin). An allowed origin's preflighted call succeeds and
 * the page reads only the exposed headers; a disallowed origin's call, or a header off the list,
 * fails inside the browser. `.ci/run` installs chromium, so in CI this runs; elsewhere it is
 * skipped, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A page server: one origin, one blank page to run fetches from. */
async function startPageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>cors test page</title><p>page</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface FetchOutcome {
  ok: boolean;
  status?: number;
  body?: string;
  note?: string | null;
  secret?: string | null;
  requestId?: string | null;
  error?: string;
}

/** Runs `fetch(url, init)` inside the page and reports what the page could see. */
function pageFetch(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: string; credentials?: 'omit' | 'include' }): Promise<FetchOutcome> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, { ...init, mode: 'cors' });
        return { ok: true, status: res.status, body: await res.text(), note: res.headers.get('x-upstream-note'), secret: res.headers.get('x-secret-internal'), requestId: res.headers.get('x-request-id') };
      } catch (err) {
        return { ok: false, error: String(err) };
      }
    },
    { url, init },
  );
}

const haveChromium = existsSync(CHROMIUM);

// Without Chromium the suite is reported as skipped, its title saying why (.ci/run installs it).
describe.skipIf(!haveChromium)(haveChromium ? 'cors in a real browser (headless Chromium)' : `cors in a real browser: skipped, ${CHROMIUM} is absent (apt-get install -y chromium, as .ci/run does)`, () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let allowed: { origin: string; server: Server };
  let evil: { origin: string; server: Server };
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startUpstream((req, res, body) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-note': 'n1', 'x-secret-internal': 's1' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: body.toString('utf8') }));
    });
    [allowed, evil] = await Promise.all([startPageServer(), startPageServer()]);
    gw = await startGateway(`${LISTEN}
upstreams: { u: { targets: ["${upstream.url}"] } }
cors:
  origins: ["${allowed.origin}"]
  methods: [GET, POST, PUT]
  headers: [Content-Type, X-Custom]
  exposeHeaders: [X-Upstream-Note, X-Request-ID]
  maxAge: 0s
routes:
  - { name: api, match: { path: /api }, upstream: u }
  - name: creds
    match: { path: /creds }
    upstream: u
    cors: { origins: ["${allowed.origin}"], credentials: true, exposeHeaders: [X-Upstream-Note], maxAge: 0s }
`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await upstream?.close();
    for (const page of [allowed, evil]) if (page) await new Promise<void>((resolve) => page.server.close(() => resolve()));
  });

  /** A fresh context (no preflight cache, no cookies) with a page loaded from `origin`. */
  async function pageAt(origin: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    return page;
  }

  const received = (path: string) => upstream.requests.filter((r) => r.url === path).map((r) => r.method);

  /** Waits for the access-log line of the preflight (lines are written when the response closes). */
  async function preflightLogged(path: string): Promise<Record<string, unknown> | undefined> {
    for (let i = 0; i < 50; i++) {
      const line = gw.logs.find((l) => l['msg'] === 'request' && l['method'] === 'OPTIONS' && l['path'] === path);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }

  it('an allowed origin: the preflighted PUT succeeds and the page reads the exposed headers only', async () => {
    const page = await pageAt(allowed.origin);
    const out = await pageFetch(page, `${gw.url}/api/put-ok`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Custom': '1' }, body: '{"a":1}' });
    await page.context().close();
    expect(out.error).toBeUndefined();
    expect(out).toMatchObject({ ok: true, status: 200, note: 'n1', secret: null });
    expect(out.requestId).toBeTruthy();
    expect(JSON.parse(out.body!)).toEqual({ method: 'PUT', url: '/api/put-ok', body: '{"a":1}' });
    // The browser did preflight; the gateway answered it and only the PUT reached the upstream.
    expect(await preflightLogged('/api/put-ok')).toMatchObject({ status: 204, route: 'api', upstream: null });
    expect(received('/api/put-ok')).toEqual(['PUT']);
  });

  it('an allowed origin asking for a header off the list: the browser refuses after the preflight', async () => {
    const page = await pageAt(allowed.origin);
    const out = await pageFetch(page, `${gw.url}/api/bad-header`, { method: 'PUT', headers: { 'X-Not-Allowed': '1' }, body: 'x' });
    await page.context().close();
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/TypeError/);
    expect(await preflightLogged('/api/bad-header')).toMatchObject({ status: 204 });
    expect(received('/api/bad-header')).toEqual([]);
  });

  it('a disallowed origin: the preflighted PUT fails in the browser and never reaches the upstream', async () => {
    const page = await pageAt(evil.origin);
    const out = await pageFetch(page, `${gw.url}/api/put-evil`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Custom': '1' }, body: '{}' });
    await page.context().close();
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/TypeError/);
    expect(await preflightLogged('/api/put-evil')).toMatchObject({ status: 204 });
    expect(received('/api/put-evil')).toEqual([]);
  });

  it('a disallowed origin: a simple GET reaches the upstream, but the browser withholds the answer', async () => {
    const page = await pageAt(evil.origin);
    const out = await pageFetch(page, `${gw.url}/api/get-evil`, {});
    await page.context().close();
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/TypeError/);
    expect(received('/api/get-evil')).toEqual(['GET']);
  });

  it('credentials: a credentialed fetch succeeds where the route allows credentials, fails where it does not', async () => {
    const page = await pageAt(allowed.origin);
    const ok = await pageFetch(page, `${gw.url}/creds/me`, { credentials: 'include' });
    const refused = await pageFetch(page, `${gw.url}/api/me`, { credentials: 'include' });
    const plain = await pageFetch(page, `${gw.url}/api/me`, { credentials: 'omit' });
    await page.context().close();
    expect(ok).toMatchObject({ ok: true, status: 200, note: 'n1' });
    expect(refused.ok).toBe(false);
    expect(plain).toMatchObject({ ok: true, status: 200 });
  });
});

