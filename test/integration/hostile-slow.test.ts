/**
 * Hostile clients over raw sockets, part 3: slow ones (slowloris). With `headersTimeout: 1s` and
 * `requestTimeout: 2s`, a client that trickles its head, or its body, or sends nothing at all, is
 * cut off within a few seconds (408 request_timeout as JSON when nothing was answered yet, or the
 * connection closed), and the upstream never gets a complete request from it.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, LISTEN, type TestGateway } from '../helpers/gateway.js';
import { parseRawResponse, type RawResponse } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let gw: TestGateway;
/** Requests the upstream received in full; upstream.requests lists every arrival. */
const complete: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream(
    async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      } catch {
        res.destroy();
        return;
      }
      complete.push(`${req.method} ${req.url} ${Buffer.concat(chunks).length}`);
      res.end('ok');
    },
    { streaming: true },
  );
  gw = await startGateway(`${LISTEN}
limits: { headersTimeout: 1s, requestTimeout: 2s }
upstreams:
  u: { targets: ["${upstream.url}"] }
routes:
  - { name: public, match: { path: /public }, upstream: u }
`);
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

interface SlowResult {
  res: RawResponse;
  /** From connect until the server closed (or `giveUpMs`). */
  elapsedMs: number;
  /** Bytes of `slow` written before the server closed. */
  sent: number;
}

/**
 * Writes `fast` at once, then `slow` `step` bytes every `intervalMs`, until everything is sent or the
 * server closes; resolves when the server closes, or after `giveUpMs` (then `res.closed` is false).
 */
function trickle(fast: string, slow: string, intervalMs: number, step = 1, giveUpMs = 6000): Promise<SlowResult> {
  return new Promise((resolve) => {
    const socket = connect(gw.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const started = Date.now();
    let sent = 0;
    let ticker: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ res: parseRawResponse(Buffer.concat(chunks).toString('latin1'), closed), elapsedMs: Date.now() - started, sent });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.on('connect', () => {
      if (fast !== '') socket.write(fast);
      ticker = setInterval(() => {
        if (sent >= slow.length || socket.destroyed) return clearInterval(ticker);
        socket.write(slow.slice(sent, sent + step));
        sent = Math.min(slow.length, sent + step);
      }, intervalMs);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a write racing the server's close; 'close' follows
    socket.on('close', () => finish(true));
  });
}

function expectTimedOut({ res, elapsedMs }: SlowResult, minMs: number): void {
  expect(res.closed).toBe(true);
  expect(elapsedMs).toBeGreaterThanOrEqual(minMs - 50);
  expect(elapsedMs).toBeLessThan(minMs + 2000);
  // Nothing was answered yet, so the gateway says why before closing.
  expect(res.status).toBe(408);
  expect(res.headers['content-type']).toBe('application/json');
  const body = JSON.parse(res.body) as { error: { code: string; requestId: string } };
  expect(body.error.code).toBe('request_timeout');
  expect(res.headers['x-request-id']).toBe(body.error.requestId);
}

const HEAD = `GET /public/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(60)}\r\nConnection: close\r\n\r\n`;

describe('slow clients', () => {
  it('a head trickled one byte every 50 ms is cut off after headersTimeout (1s)', async () => {
    const before = upstream.requests.length;
    const result = await trickle('', HEAD, 50);
    expectTimedOut(result, 1000);
    expect(result.sent).toBeLessThan(HEAD.length);
    expect(upstream.requests.length).toBe(before);
  });

  it('a connection that never sends a byte is cut off after headersTimeout', async () => {
    const result = await trickle('', '', 50);
    expectTimedOut(result, 1000);
  });

  it('a body trickled past requestTimeout (2s) is cut off; the upstream never gets it complete', async () => {
    const head = 'POST /public/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\nConnection: close\r\n\r\n';
    const done = complete.length;
    const result = await trickle(head, 'x'.repeat(100), 50);
    expectTimedOut(result, 2000);
    expect(result.sent).toBeLessThan(100);
    expect(complete.length).toBe(done);
    // The access log tells the same story as the client saw: 408, not a client that left (499).
    await new Promise((r) => setTimeout(r, 50));
    const line = gw.logs.filter((l) => l.msg === 'request' && l.path === '/public/x' && l.method === 'POST').at(-1);
    expect(line).toMatchObject({ status: 408, error: 'request_timeout' });
  });

  it('a head sent slowly but within headersTimeout is served (the cut-off is the timeout, not the pace)', async () => {
    const result = await trickle('', HEAD, 30, 10);
    expect(result.res.status).toBe(200);
    expect(result.res.body).toBe('ok');
    expect(complete.at(-1)).toBe('GET /public/x 0');
  });
});

describe('after all of the above', () => {
  it('the gateway still serves a normal request', async () => {
    const res = await fetch(`${gw.url}/public/alive`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    // No hostile input made the gateway fail inside (that would log at error level).
    expect(gw.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
