/**
 * The upstream every scenario ends at: node:http, keep-alive, a fixed ~100-byte JSON body for
 * any request (a request body is read and dropped). Kept as cheap as possible so it measures
 * the proxy in front of it, not itself.
 */
import { createServer } from 'node:http';
import { closeServer, listen, ready, settings } from './child.js';
import { UPSTREAM_BODY } from './upstream-body.js';

const body = Buffer.from(UPSTREAM_BODY);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

async function main(): Promise<void> {
  await settings<Record<string, never>>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  // Longer than any client pool's idle timeout, so the upstream never closes a pooled socket first.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000;
  ready(await listen(server), () => closeServer(server));
}

if (process.send) void main();
