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

export interface UpstreamSettings {
  /** A JWKS document served at GET /jwks.json (for the RS256 scenario). */
  jwks?: unknown;
}

async function main(): Promise<void> {
  const { jwks } = await settings<UpstreamSettings>();
  const jwksBody = jwks === undefined ? null : Buffer.from(JSON.stringify(jwks));
  const server = createServer((req, res) => {
    if (jwksBody !== null && req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(jwksBody.length) });
      res.end(jwksBody);
      return;
    }
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
