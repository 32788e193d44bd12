/** The proxy listener: node:http with limits and timeouts from config, defaults that defeat slowloris. */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ResolvedLimits } from '../config/runtime-state.js';
import { createClientErrorListener, createConnectListener } from './client-error.js';
import { createRequestListener, type ServeDeps } from './request-handler.js';

export function applyTimeouts(server: Server, limits: ResolvedLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}

export function createProxyServer(deps: ServeDeps, limits: ResolvedLimits, logger: Logger): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      // Checked by the handler, so the 400 is a JSON error like every other (node's is an empty body).
      requireHostHeader: false,
      joinDuplicateHeaders: false,
      insecureHTTPParser: false,
      // How often node checks headersTimeout/requestTimeout (its default, 30 s, would let a slow
      // head live far past headersTimeout).
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
    },
    createRequestListener(deps),
  );
  // Count is enforced by the handler (431), so node must not drop extras silently.
  server.maxHeadersCount = 0;
  server.on('checkContinue', createRequestListener(deps, true));
  server.on('clientError', createClientErrorListener(logger));
  server.on('connect', createConnectListener(logger));
  // No 'upgrade' listener: an Upgrade request is served as a plain request, its Upgrade header
  // dropped as hop-by-hop (RFC 9110 §7.8: a client cannot insist on a protocol change).
  applyTimeouts(server, limits);
  return server;
}
