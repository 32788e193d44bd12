/**
 * Real upstream HTTP servers for tests, on ephemeral ports. The default handler echoes what it
 * received (method, url, headers, body) as JSON; tests pass their own handler for anything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
}

export interface TestUpstream {
  url: string;
  port: number;
  server: Server;
  /** Requests received so far (echo handler and custom handlers alike). */
  requests: Echo[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export const echoHandler: UpstreamHandler = (req, res, body) => {
  const echo: Echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString('utf8') };
  const text = JSON.stringify(echo);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/**
 * Starts a server. With `streaming: true` the handler gets the request unread (body = empty
 * buffer) so it can consume or ignore it itself.
 */
export async function startUpstream(handler: UpstreamHandler = echoHandler, options: { streaming?: boolean } = {}): Promise<TestUpstream> {
  const requests: Echo[] = [];
  const server = createServer(async (req, res) => {
    let body = Buffer.alloc(0);
    if (!options.streaming) {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      body = Buffer.concat(chunks);
    }
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString('utf8') });
    try {
      await handler(req, res, body);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port with nothing listening on it (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
