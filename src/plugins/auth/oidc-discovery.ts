/**
 * Bounded JSON fetches from an identity provider, and OIDC discovery (OpenID Connect Discovery
 * 1.0 §4). The IdP is outside our control: every fetch has a deadline covering connect, headers
 * and body, a byte cap counted while streaming, and a careful parse, so a broken or hostile IdP
 * costs at most `timeoutMs` and `maxBytes`, never a crash or a hang. Redirects are not followed.
 */
import { request, type Dispatcher } from 'undici';

/** A fetch that did not produce a usable document; `message` is safe to log (no body text). */
export class IdpFetchError extends Error {
  override name = 'IdpFetchError';
}

export interface FetchJsonOptions {
  dispatcher: Dispatcher;
  /** Whole exchange deadline (connect + headers + body), ms. */
  timeoutMs: number;
  /** Response body cap, bytes. */
  maxBytes: number;
  /** Aborts the fetch early (the source is closing). */
  signal?: AbortSignal;
  accept: string;
}

/** Only http(s) URLs without credentials are fetched. Returns the parsed URL or throws IdpFetchError. */
export function checkFetchUrl(value: unknown, what: string): URL {
  if (typeof value !== 'string' || value.length > 2048) throw new IdpFetchError(`${what} is not a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IdpFetchError(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new IdpFetchError(`${what} must be an http(s) URL`);
  if (url.username !== '' || url.password !== '') throw new IdpFetchError(`${what} must not carry credentials`);
  return url;
}

/** GET `url` and parse its JSON body as a plain object. Throws IdpFetchError on any problem. */
export async function fetchJson(url: URL, options: FetchJsonOptions): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // Own timer (not AbortSignal.timeout) so close() can prove no timer is left behind.
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  timer.unref();
  try {
    if (options.signal?.aborted) throw new IdpFetchError('fetch cancelled');
    const text = await fetchText(url, options, controller.signal);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new IdpFetchError('response is not valid JSON');
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new IdpFetchError('response is not a JSON object');
    return doc as Record<string, unknown>;
  } catch (err) {
    if (err instanceof IdpFetchError) throw err;
    if (controller.signal.aborted) throw new IdpFetchError(options.signal?.aborted ? 'fetch cancelled' : `no complete answer within ${options.timeoutMs}ms`);
    const code = (err as { code?: unknown }).code;
    throw new IdpFetchError(`request failed${typeof code === 'string' ? ` (${code})` : ''}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchText(url: URL, options: FetchJsonOptions, signal: AbortSignal): Promise<string> {
  const res = await request(url, {
    method: 'GET',
    dispatcher: options.dispatcher,
    signal,
    headers: { accept: options.accept },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const { body } = res;
  try {
    if (res.statusCode !== 200) throw new IdpFetchError(`answered HTTP ${res.statusCode}`);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) throw new IdpFetchError(`response larger than ${options.maxBytes} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.maxBytes) throw new IdpFetchError(`response larger than ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  } finally {
    // Drop whatever is left (error status, oversize) instead of reading it. undici's body emits
    // an AbortError when destroyed unread: without a listener that would be an uncaught exception.
    if (!body.destroyed) {
      body.on('error', ignore);
      body.destroy();
    }
  }
}

function ignore(): void {}

/**
 * The `jwks_uri` of `issuer` from its discovery document. The document's `issuer` must equal the
 * configured one exactly (§4.3), or a document served for another issuer would choose our keys.
 */
export async function discoverJwksUri(issuer: string, options: FetchJsonOptions): Promise<URL> {
  // §4: remove a trailing slash from the issuer, then append the well-known path.
  checkFetchUrl(issuer, 'issuer');
  const discoveryUrl = checkFetchUrl(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, 'discovery URL');
  const doc = await fetchJson(discoveryUrl, { ...options, accept: 'application/json' });
  if (doc.issuer !== issuer) throw new IdpFetchError('discovery document names a different issuer');
  return checkFetchUrl(doc.jwks_uri, 'discovery jwks_uri');
}
