/**
 * The baseline every ratio is against: a bare node:http server and one undici Pool per target,
 * forwarding with `Pool.stream` in its callback form (the cheapest idiomatic form of the
 * high-level API) or, with `mode: 'dispatch'`, with `Pool.dispatch` and a minimal handler (the
 * low-level API the gateway uses). It forwards method, path, headers minus the static hop-by-hop list, and body;
 * it sets the target's Host. It does none of the gateway's work: no routing, no path
 * normalisation, no X-Forwarded-*, no request id, no Connection-named fields, no metrics, no
 * log, no client-abort handling.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { closeServer, listen, ready, settings } from './child.js';

export interface BareProxySettings {
  /** Target origin, e.g. http://127.0.0.1:40001 */
  target: string;
  /** Pool size; the gateway's default is 128. */
  connections: number;
  mode?: 'stream' | 'dispatch';
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'host']);

function writeHead(data: Dispatcher.StreamFactoryData<ServerResponse>): ServerResponse {
  const headers = data.headers as Record<string, string | string[] | undefined>;
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  data.opaque.writeHead(data.statusCode, headers as Record<string, string | string[]>);
  return data.opaque;
}

/** Writes the upstream's answer into the client response, pausing the upstream while the client is slow. */
class PassThrough implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}

  /** undici recognises this handler API by this method; nothing to keep from it here. */
  onRequestStart(): void {}

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
    this.res.writeHead(statusCode, headers as Record<string, string | string[]>);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.res;
    // The client left: free the upstream connection (a paused one would never come back to the pool).
    if (res.destroyed) return controller.abort(new Error('client closed'));
    if (!res.write(chunk)) {
      controller.pause();
      const onDrain = () => {
        res.off('close', onClose);
        controller.resume();
      };
      const onClose = () => {
        res.off('drain', onDrain);
        controller.abort(new Error('client closed'));
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    }
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, _err: Error): void {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

async function main(): Promise<void> {
  const { target, connections, mode = 'stream' } = await settings<BareProxySettings>();
  const hostHeader = new URL(target).host;
  // Same pool settings as the gateway's defaults (src/config/compile.ts, src/upstream/pool-registry.ts).
  const pool = new Pool(target, { connections, pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 600_000 });

  const server = createServer((req, res) => {
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
    }
    headers.push('host', hostHeader);
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const method = req.method as Dispatcher.HttpMethod;
    const path = req.url ?? '/';
    const body = hasBody ? req : null;
    if (mode === 'dispatch') {
      pool.dispatch({ method, path, headers, body }, new PassThrough(res));
      return;
    }
    pool.stream(
      { method, path, headers, body, opaque: res },
      writeHead,
      (err) => {
        if (!err) return;
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    );
  });
  ready(await listen(server), async () => {
    await closeServer(server);
    await pool.close();
  });
}

if (process.send) void main();
