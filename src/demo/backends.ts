/**
 * In-process demo backends (users, orders, payments) so `npm start` shows the gateway working on
 * a fresh machine. They echo what reached them, which makes the gateway's header work visible.
 * Demo data only: this is not part of the gateway.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signDevToken } from '../util/dev-token.js';

type Answer = { status: number; body: unknown } | undefined;

interface Demo {
  name: string;
  handle(req: IncomingMessage, body: unknown, url: URL): Answer | Promise<Answer>;
}

/** The demo's HS256 secret; examples/gateway.yaml reads the same default from JWT_SECRET. */
export const DEMO_JWT_SECRET = 'portcullis-demo-secret-change-me';

/** Demo logins: username → password and role. */
const LOGINS: Record<string, { password: string; role: string; id: string }> = {
  ada: { password: 'lovelace', role: 'admin', id: '1' },
  alan: { password: 'turing', role: 'user', id: '2' },
};

const users = [
  { id: '1', name: 'Ada Lovelace', email: 'ada@example.com', role: 'admin' },
  { id: '2', name: 'Alan Turing', email: 'alan@example.com', role: 'user' },
];

const DEMOS: Demo[] = [
  {
    name: 'auth',
    async handle(req, body, url) {
      if (url.pathname !== '/login' || req.method !== 'POST') return undefined;
      const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
      const login = typeof username === 'string' ? LOGINS[username] : undefined;
      if (!login || login.password !== password) return { status: 401, body: { message: 'unknown user or wrong password' } };
      const token = await signDevToken({ secret: process.env['JWT_SECRET'] || DEMO_JWT_SECRET, sub: login.id, role: login.role, ttl: '1h' });
      return { status: 200, body: { token, tokenType: 'Bearer', expiresIn: 3600 } };
    },
  },
  {
    name: 'users',
    handle(req, _body, url) {
      if (url.pathname === '/users' && req.method === 'GET') return { status: 200, body: { users } };
      const m = /^\/users\/([^/]+)$/.exec(url.pathname);
      if (m && req.method === 'GET') {
        const user = users.find((u) => u.id === m[1]);
        return user ? { status: 200, body: user } : { status: 404, body: { message: 'no such user' } };
      }
      return undefined;
    },
  },
  {
    name: 'orders',
    handle(req, body, url) {
      if (url.pathname === '/orders' && req.method === 'GET') {
        const userId = url.searchParams.get('user_id');
        const orders = [
          { id: '100', userId: '1', item: 'analytical engine', total: 42 },
          { id: '101', userId: '2', item: 'bombe', total: 7 },
        ].filter((o) => userId === null || o.userId === userId);
        return { status: 200, body: { orders } };
      }
      if (url.pathname === '/orders' && req.method === 'POST') return { status: 201, body: { id: String(Date.now() % 100000), ...(body as object) } };
      const m = /^\/orders\/([^/]+)$/.exec(url.pathname);
      if (m && req.method === 'GET') return { status: 200, body: { id: m[1], item: 'analytical engine', total: 42 } };
      return undefined;
    },
  },
  {
    name: 'payments',
    handle(req, body, url) {
      if (url.pathname === '/payments' && req.method === 'GET') return { status: 200, body: { payments: [{ id: 'p1', amount: 42 }] } };
      if (url.pathname === '/payments' && req.method === 'POST') return { status: 201, body: { id: 'p2', status: 'accepted', request: body } };
      return undefined;
    },
  },
];

function serve(demo: Demo, instance: string) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 1_000_000) return void res.writeHead(413).end();
      chunks.push(chunk);
    }
    let body: unknown = undefined;
    if (size > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
    }
    const url = new URL(req.url ?? '/', 'http://demo');
    if (url.pathname === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    const answer = (await demo.handle(req, body, url)) ?? { status: 404, body: { message: `${demo.name}: nothing at ${url.pathname}` } };
    const payload = JSON.stringify({
      service: demo.name,
      instance,
      ...(answer.body as object),
      // What the gateway sent along: shows X-Forwarded-*, X-Request-ID and identity headers at work.
      seen: {
        path: req.url,
        requestId: req.headers['x-request-id'],
        forwardedFor: req.headers['x-forwarded-for'],
        forwardedHost: req.headers['x-forwarded-host'],
        user: req.headers['x-user-id'],
      },
    });
    res.writeHead(answer.status, { 'content-type': 'application/json', 'x-served-by': `${demo.name}-${instance}` });
    res.end(payload);
  };
}

export interface DemoBackends {
  urls: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the demo backends on 127.0.0.1; `ports` fixes ports (0 = any free port). A port named
 * `<service>-2` starts a second instance of that service (the demo balances orders over two).
 */
export async function startDemoBackends(ports: Record<string, number> = {}): Promise<DemoBackends> {
  const servers: Server[] = [];
  const urls: Record<string, string> = {};
  const instances = DEMOS.flatMap((demo) => [
    { demo, key: demo.name, instance: '1' },
    ...(ports[`${demo.name}-2`] !== undefined ? [{ demo, key: `${demo.name}-2`, instance: '2' }] : []),
  ]);
  for (const { demo, key, instance } of instances) {
    const server = createServer(serve(demo, instance));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[key] ?? 0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    urls[key] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return {
    urls,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); })));
    },
  };
}
