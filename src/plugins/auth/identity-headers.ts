/**
 * Identity → upstream request headers. Computed once per verified token (and cached with it)
 * or once per API-key consumer, never per request. Values that are not safe header text (CR,
 * LF, NUL, other controls, non-ASCII) are left out rather than forwarded or allowed to fail
 * the request: an upstream trusting these headers must never see a smuggled line.
 */
import type { Identity } from '../../pipeline/context.js';
import { GATEWAY_OWNED_REQUEST } from '../../upstream/hop-by-hop.js';
import { readClaim } from './authorize.js';

/** Claim → header defaults; `roles`/`scopes` are the resolved lists. X-Consumer is always set. */
export const DEFAULT_IDENTITY_HEADERS: Readonly<Record<string, string>> = { sub: 'X-User-ID', email: 'X-User-Email', roles: 'X-User-Role' };
export const CONSUMER_HEADER = 'X-Consumer';

/** Longest identity header value forwarded. */
const MAX_VALUE_LENGTH = 4096;
const SAFE_VALUE = /^[\x20-\x7e]*$/;

export interface HeaderMapping {
  /** Claim path, or `roles` / `scopes` for the resolved lists. */
  source: string;
  header: string;
}

/** The defaults with the configured mapping merged over them (null drops one). */
export function resolveMapping(configured: Readonly<Record<string, string | null>> | undefined): HeaderMapping[] {
  const merged: Record<string, string | null> = { ...DEFAULT_IDENTITY_HEADERS, ...configured };
  const out: HeaderMapping[] = [];
  for (const [source, header] of Object.entries(merged)) if (header !== null) out.push({ source, header });
  return out;
}

/**
 * Lower-case names of mapped headers the core does not already strip from clients: the plugin
 * hides the client's copies on its routes, so only the gateway's value reaches the upstream.
 */
export function clientCopiesToHide(mapping: readonly HeaderMapping[]): string[] {
  return [...new Set(mapping.map((m) => m.header.toLowerCase()))].filter((h) => !GATEWAY_OWNED_REQUEST.has(h));
}

function headerValue(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) text = value.join(',');
  else return undefined;
  if (text === '' || text.length > MAX_VALUE_LENGTH || !SAFE_VALUE.test(text)) return undefined;
  return text;
}

/** [name, value, …] for the upstream. */
export function identityHeaders(identity: Identity, mapping: readonly HeaderMapping[]): string[] {
  const out: string[] = [];
  for (const { source, header } of mapping) {
    const raw = source === 'roles' ? identity.roles : source === 'scopes' ? identity.scopes : readClaim(identity.claims, source);
    const value = headerValue(raw);
    if (value !== undefined) out.push(header, value);
  }
  const consumer = identity.consumer === null ? undefined : headerValue(identity.consumer);
  if (consumer !== undefined) out.push(CONSUMER_HEADER, consumer);
  return out;
}

/** Request headers a mapping must not write: hop-by-hop, framing, and those the gateway sets itself. */
const RESERVED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'content-length', 'content-type', 'host', 'expect', 'authorization', 'cookie', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-consumer']);

export function isReservedHeader(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
