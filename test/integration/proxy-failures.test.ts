/**
 * Upstream failures as a client sees them (CONTRACT "Errors": refused/reset 502, timeout 504):
 * real dead ports, real stalls, real resets and garbage from raw sockets; and the other
 * direction, a client leaving mid-request. After each case the gateway still serves.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Outcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  /** The response body ended cleanly (all of it, framing intact). */
  complete: boolean;
  /** The client saw an error (reset, aborted response). */
  error: string | null;
}

/** A GET (or a request with `body`) that reports how it ended instead of throwing. */
function attempt(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let error: string | null = null;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) => {
        error = err.code ?? err.message;
      });
      res.on('close', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), complete: res.complete && error === null, error }),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, headers: {}, rawHeaders: [], body: Buffer.alloc(0), complete: false, error: err.code ?? err.message }));
    req.end(options.body);
  });
}

/** A raw TCP "upstream": reads one request head per exchange and lets `respond` do anything. */
async function startRawUpstream(respond: (socket: Socket, head: string) => void): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const heads: string[] = [];
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      heads.push(head);
      respond(socket, head);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    heads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listener that never accepts: a worker thread listens with backlog 1 and then blocks, so the
 * kernel's accept queue fills and further SYNs are dropped — a real connect timeout on loopback.
 */
async function startBlackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0); // blocks the worker's event loop: nothing is ever accepted
       server.close();
     });`,
    { eval: true, workerData: flag },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // Fill the accept queue: connect until a handshake no longer completes.
  const fillers: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 200);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) break;
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await worker.terminate();
    },
  };
}

async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

/** How an upstream handler's exchange ended. */
interface Seen {
  received: boolean;
  /** The upstream's response closed before it finished: the gateway hung up on it. */
  aborted: boolean;
}

function track(seen: Seen, req: IncomingMessage, res: ServerResponse): void {
  seen.received = true;
  res.on('close', () => {
    if (!res.writableFinished) seen.aborted = true;
  });
  req.on('aborted', () => {
    seen.aborted = true;
  });
}

describe('upstream failures', () => {
  let gw: TestGateway;
  let healthy: TestUpstream;
  let staller: TestUpstream;
  let resetter: TestUpstream;
  let midBody: TestUpstream;
  let garbage: Awaited<ReturnType<typeof startRawUpstream>>;
  let blackhole: Awaited<ReturnType<typeof startBlackhole>>;
  let dead: number;
  const stalled: Record<string, Seen> = {};

  beforeAll(async () => {
    dead = await deadPort();
    healthy = await startUpstream();
    // Never answers /stall; answers /slow-body with headers and part of the body, then stalls.
    staller = await startUpstream(
      (req, res) => {
        const seen: Seen = { received: false, aborted: false };
        stalled[req.headers['x-request-id'] as string] = seen;
        track(seen, req, res);
        if (req.url?.startsWith('/stall/slow-body')) {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
          res.write('x'.repeat(100));
        }
      },
      { streaming: true },
    );
    resetter = await startUpstream(
      (req) => {
        if (req.url?.includes('rst')) req.socket.resetAndDestroy();
        else req.socket.destroy();
      },
      { streaming: true },
    );
    midBody = await startUpstream((req, res) => {
      const chunked = req.url?.includes('chunked');
      res.writeHead(200, chunked ? { 'content-type': 'text/plain' } : { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('y'.repeat(1000));
      setTimeout(() => (req.url?.includes('rst') ? req.socket.resetAndDestroy() : req.socket.destroy()), 30);
    });
    garbage = await startRawUpstream((socket, head) => {
      const path = head.split(' ')[1] ?? '';
      const replies: Record<string, string> = {
        '/garbage/text': 'this is not http at all\r\n\r\n',
        '/garbage/status': 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
        '/garbage/header': 'HTTP/1.1 200 OK\r\nThis Is Not A Header\r\nContent-Length: 2\r\n\r\nok',
        '/garbage/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nok',
        '/garbage/short': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789',
        '/garbage/short-chunked': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n',
      };
      socket.end(replies[path] ?? 'HTTP/1.1 500 Unknown\r\nContent-Length: 0\r\n\r\n');
    });
    blackhole = await startBlackhole();

    gw = await startGateway(`${LISTEN}
upstreams:
  healthy: { targets: ["${healthy.url}"] }
  dead: { targets: ["http://127.0.0.1:${dead}"] }
  blackhole: { targets: ["http://127.0.0.1:${blackhole.port}"], timeouts: { connect: 300ms } }
  staller: { targets: ["${staller.url}"], timeouts: { response: 300ms } }
  resetter: { targets: ["${resetter.url}"] }
  midbody: { targets: ["${midBody.url}"] }
  garbage: { targets: ["http://127.0.0.1:${garbage.port}"] }
routes:
  - { name: healthy, match: { path: /ok }, upstream: healthy }
  - { name: dead, match: { path: /dead }, upstream: dead }
  - { name: blackhole, match: { path: /blackhole }, upstream: blackhole }
  - { name: stall, match: { path: /stall }, upstream: staller }
  - { name: reset, match: { path: /reset }, upstream: resetter }
  - { name: midbody, match: { path: /midbody }, upstream: midbody }
  - { name: garbage, match: { path: /garbage }, upstream: garbage }
`);
  });

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([healthy?.close(), staller?.close(), resetter?.close(), midBody?.close(), garbage?.close(), blackhole?.close()]);
  });

  afterEach(async () => {
    // The gateway survives every failure: a normal request afterwards works.
    const res = await attempt(`${gw.url}/ok/after`);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(true);
  });

  /** The answer is the catalogue's JSON error, with nothing about the upstream or the exception in it. */
  async function expectCleanError(res: Outcome, status: number, code: string, upstreamPort: number): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.complete).toBe(true);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body.toString()) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId', 'status']);
    expect(body.error).toMatchObject({ status, code, requestId: res.headers['x-request-id'] });
    const everything = res.body.toString() + '\n' + res.rawHeaders.join('\n');
    expect(everything).not.toContain('127.0.0.1');
    expect(everything).not.toContain(`:${upstreamPort}`);
    expect(everything).not.toMatch(/ECONN|UND_ERR|Error:|\n\s+at /);
    // The failure is in the log, as a warning tied to the request.
    const id = res.headers['x-request-id'] as string;
    expect(await until(() => gw.logs.some((l) => l.level === 'warn' && l.requestId === id && l.code === code))).toBe(true);
  }

  it('a dead upstream (connection refused) is a 502 bad_gateway', async () => {
    await expectCleanError(await attempt(`${gw.url}/dead/x`), 502, 'bad_gateway', dead);
  });

  it('an upstream that never accepts the connection is a 504 gateway_timeout after timeouts.connect', async () => {
    const started = Date.now();
    const res = await attempt(`${gw.url}/blackhole/x`);
    const took = Date.now() - started;
    await expectCleanError(res, 504, 'gateway_timeout', blackhole.port);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5000);
  });

  it('an upstream slower than timeouts.response is a 504, and its request is aborted, not left running', async () => {
    const id = 'stall-head';
    const started = Date.now();
    const res = await attempt(`${gw.url}/stall/never`, { headers: { 'X-Request-ID': id } });
    await expectCleanError(res, 504, 'gateway_timeout', staller.port);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(stalled[id]?.received).toBe(true);
    // The gateway hung up on the upstream: its call does not run on after the 504.
    expect(await until(() => stalled[id]?.aborted === true)).toBe(true);
  });

  it('an upstream stalling mid-body past timeouts.response: the client sees a broken response, the upstream a closed request', async () => {
    const id = 'stall-body';
    const res = await attempt(`${gw.url}/stall/slow-body`, { headers: { 'X-Request-ID': id } });
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.length).toBeLessThan(1000);
    expect(await until(() => stalled[id]?.aborted === true)).toBe(true);
  });

  it.each([
    ['closes', '/reset/close'],
    ['resets (RST)', '/reset/rst'],
  ])('an upstream that %s the connection before the headers is a 502', async (_label, path) => {
    await expectCleanError(await attempt(`${gw.url}${path}`), 502, 'bad_gateway', resetter.port);
  });

  it.each([
    ['closes, Content-Length', '/midbody/close'],
    ['resets, Content-Length', '/midbody/rst'],
    ['closes, chunked', '/midbody/close-chunked'],
    ['resets, chunked', '/midbody/rst-chunked'],
  ])('an upstream that %s mid-body: the client never gets a clean-looking complete response', async (_label, path) => {
    const res = await attempt(`${gw.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.length).toBeLessThan(100000);
  });

  it.each([
    ['not HTTP', '/garbage/text'],
    ['a malformed status line', '/garbage/status'],
    ['a malformed header line', '/garbage/header'],
    ['two Content-Lengths', '/garbage/two-lengths'],
  ])('an upstream answering %s is a 502', async (_label, path) => {
    await expectCleanError(await attempt(`${gw.url}${path}`), 502, 'bad_gateway', garbage.port);
  });

  it.each([
    ['declares Content-Length 100, sends 10 and closes', '/garbage/short'],
    ['sends a chunked body without its last chunk and closes', '/garbage/short-chunked'],
  ])('an upstream that %s: the client must not get a clean complete response', async (_label, path) => {
    const res = await attempt(`${gw.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.toString()).toBe('0123456789'.slice(0, res.body.length));
  });

  describe('client disconnects', () => {
    it('while waiting for the response: the upstream request is aborted and the access log says 499', async () => {
      const id = 'client-leaves-waiting';
      const req = httpRequest(`${gw.url}/stall/never`, { headers: { 'X-Request-ID': id }, agent: false });
      req.on('error', () => undefined);
      req.end();
      expect(await until(() => stalled[id]?.received === true)).toBe(true);
      req.destroy();
      expect(await until(() => stalled[id]?.aborted === true)).toBe(true);
      expect(await until(() => gw.logs.some((l) => l.msg === 'request' && l.requestId === id))).toBe(true);
      expect(gw.logs.find((l) => l.msg === 'request' && l.requestId === id)).toMatchObject({ status: 499, route: 'stall' });
    });

    it('while sending the body: the upstream request is aborted', async () => {
      const id = 'client-leaves-uploading';
      const req = httpRequest(`${gw.url}/stall/upload`, { method: 'POST', headers: { 'X-Request-ID': id, 'Content-Length': '100000' }, agent: false });
      req.on('error', () => undefined);
      req.write('z'.repeat(1000));
      expect(await until(() => stalled[id]?.received === true)).toBe(true);
      req.destroy();
      expect(await until(() => stalled[id]?.aborted === true)).toBe(true);
    });
  });
});
