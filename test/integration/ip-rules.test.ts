/**
 * IP rules seen from real clients: the client address as resolved through trustedProxies (a
 * client's own X-Forwarded-For never gets it past a rule), deny over allow, IPv4, IPv4-mapped and
 * IPv6 addresses (forwarded, and from a real ::1 listener), and a refused request never reaching
 * the upstream, not even its body or a 100-continue.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Reply {
  status: number;
  code: string | null;
  body: string;
}

function send(host: string, port: number, path: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const code = res.headers['content-type'] === 'application/json' && body.startsWith('{"error"') ? (JSON.parse(body) as { error: { code: string } }).error.code : null;
        resolve({ status: res.statusCode ?? 0, code, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function accessLog(gw: TestGateway, path: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = [...gw.logs].reverse().find((l) => l.msg === 'request' && l.path === path);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access log line for ${path}`);
}

describe('ip rules', () => {
  let upstream: TestUpstream;
  let direct: TestGateway; // no trusted proxies: the client is the TCP peer, 127.0.0.1
  let proxied: TestGateway; // 127.0.0.1 is a trusted proxy: the client comes from X-Forwarded-For
  let v6: TestGateway; // listens on ::1

  beforeAll(async () => {
    upstream = await startUpstream();
    const ups = `upstreams: { u: { targets: ["${upstream.url}"] } }\n`;
    direct = await startGateway(`${LISTEN}${ups}routes:
  - { name: denied, match: { path: /denied }, upstream: u, ipRules: { deny: [127.0.0.0/8] } }
  - { name: allowed, match: { path: /allowed }, upstream: u, ipRules: { allow: [127.0.0.1] } }
  - { name: office-only, match: { path: /office }, upstream: u, ipRules: { allow: [10.0.0.0/8] } }
  - { name: open, match: { path: /open }, upstream: u }
`);
    proxied = await startGateway(`${LISTEN}trustedProxies: [127.0.0.1/32, 192.0.2.0/24]\n${ups}routes:
  - name: office
    match: { path: /office }
    upstream: u
    ipRules: { allow: [10.0.0.0/8, "2001:db8::/32"], deny: [10.1.0.0/16, "2001:db8:bad::/48"] }
`);
    v6 = await startGateway(`listen: "[::1]:0"\nadmin: { listen: 127.0.0.1:0 }\n${ups}routes:
  - { name: v6-denied, match: { path: /v6-denied }, upstream: u, ipRules: { deny: ["::1"] } }
  - { name: v6-allowed, match: { path: /v6-allowed }, upstream: u, ipRules: { allow: ["::1/128"] } }
  - { name: v4-only, match: { path: /v4-only }, upstream: u, ipRules: { allow: [127.0.0.0/8] } }
`);
  });

  afterAll(async () => {
    await Promise.all([direct?.stop(), proxied?.stop(), v6?.stop()]);
    await upstream?.close();
  });

  describe('from an untrusted peer', () => {
    it('refuses a denied client with 403 forbidden, and the upstream never sees it', async () => {
      const before = upstream.requests.length;
      const reply = await send('127.0.0.1', direct.port, '/denied');
      expect(reply.status).toBe(403);
      expect(reply.code).toBe('forbidden');
      expect(upstream.requests.length).toBe(before);
      const log = await accessLog(direct, '/denied');
      expect(log).toMatchObject({ status: 403, clientIp: '127.0.0.1', error: 'forbidden', upstream: null });
    });

    it('does not let a rotating X-Forwarded-For get past a deny', async () => {
      const before = upstream.requests.length;
      for (const xff of ['10.0.0.1', '10.0.0.2, 10.0.0.3', '8.8.8.8', '::1', 'garbage', '10.9.9.9, 127.0.0.1']) {
        const reply = await send('127.0.0.1', direct.port, '/denied', { headers: { 'X-Forwarded-For': xff, 'X-Real-IP': '10.0.0.1', Forwarded: 'for=10.0.0.1' } });
        expect(reply.status, xff).toBe(403);
      }
      expect(upstream.requests.length).toBe(before);
    });

    it('does not let a spoofed X-Forwarded-For into an allow list', async () => {
      const reply = await send('127.0.0.1', direct.port, '/office', { headers: { 'X-Forwarded-For': '10.0.0.1' } });
      expect(reply.status).toBe(403);
      expect(reply.code).toBe('forbidden');
    });

    it('admits a client in the allow list, and leaves routes without rules alone', async () => {
      expect((await send('127.0.0.1', direct.port, '/allowed')).status).toBe(200);
      expect((await send('127.0.0.1', direct.port, '/open')).status).toBe(200);
    });

    it('refuses before reading the body: nothing reaches the upstream', async () => {
      const before = upstream.requests.length;
      const reply = await send('127.0.0.1', direct.port, '/denied', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"transfer":1000000}' });
      expect(reply.status).toBe(403);
      expect(upstream.requests.length).toBe(before);
    });

    it('answers 403 to Expect: 100-continue without ever inviting the body', async () => {
      const reply = await rawRequest(direct.port, 'POST /denied HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n', 200);
      expect(reply.text.startsWith('HTTP/1.1 403 ')).toBe(true);
      expect(reply.text).not.toContain('100 Continue');
    });
  });

  describe('through a trusted proxy', () => {
    it.each<[string, number]>([
      ['10.2.3.4', 200], // allowed
      ['10.1.2.3', 403], // allowed and denied: deny wins
      ['10.1.255.255', 403],
      ['192.168.1.1', 403], // not in the allow list
      ['::ffff:10.2.3.4', 200], // IPv4-mapped counts as IPv4
      ['::ffff:10.1.0.9', 403],
      ['2001:db8::1', 200],
      ['2001:db8:bad::1', 403],
      ['2001:db9::1', 403],
      ['203.0.113.7, 10.2.0.1', 200], // the nearest untrusted address decides, not the leftmost
      ['10.2.0.1, 10.1.0.5', 403],
      ['10.1.0.5, 192.0.2.10', 403], // 192.0.2.10 is a trusted proxy: the address before it is the client
      ['10.2.0.1, 192.0.2.10', 200],
    ])('X-Forwarded-For %j → %i', async (xff, status) => {
      const reply = await send('127.0.0.1', proxied.port, '/office', { headers: { 'X-Forwarded-For': xff } });
      expect(reply.status).toBe(status);
      if (status === 403) expect(reply.code).toBe('forbidden');
    });

    it('uses the forwarded address, refusing the proxy itself when no client is named', async () => {
      expect((await send('127.0.0.1', proxied.port, '/office')).status).toBe(403);
      const before = upstream.requests.length;
      const reply = await send('127.0.0.1', proxied.port, '/office', { headers: { 'X-Forwarded-For': '10.3.0.1' } });
      expect(reply.status).toBe(200);
      expect(upstream.requests.length).toBe(before + 1);
      expect(upstream.requests.at(-1)!.headers['x-forwarded-for']).toBe('10.3.0.1, 127.0.0.1');
      expect(await accessLog(proxied, '/office')).toMatchObject({ status: 200, clientIp: '10.3.0.1' });
    });
  });

  describe('on an IPv6 listener (::1)', () => {
    it.each<[string, number]>([
      ['/v6-denied', 403],
      ['/v6-allowed', 200],
      ['/v4-only', 403],
    ])('%s → %i', async (path, status) => {
      const reply = await send('::1', v6.port, path);
      expect(reply.status).toBe(status);
      expect((await accessLog(v6, path)).clientIp).toBe('::1');
    });
  });

  it.each<[string, RegExp]>([
    ['{ allow: [10.0.0.0/8, 10.0.0.300] }', /^routes\[0\]\.ipRules\.allow\[1\]: "10\.0\.0\.300" is not an IPv4 or IPv6 address or CIDR/],
    ['{ deny: ["2001:db8::/129"] }', /^routes\[0\]\.ipRules\.deny\[0\]: /],
    ['{}', /^routes\[0\]\.ipRules: must be an object with allow, deny or both/],
    ['{ allow: [] }', /^routes\[0\]\.ipRules\.allow: must be a non-empty list/],
  ])('refuses ipRules %s, naming its path', async (rules, pattern) => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes:\n  - name: r\n    match: { path: /r }\n    upstream: u\n    ipRules: ${rules}\n`;
    const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(pattern)]);
  });
});
