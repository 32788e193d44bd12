/**
 * A real OpenID Connect provider (the `oidc-provider` package, v8 — the line that supports
 * Node 20) for tests, in-process on a loopback port.
 *
 * How tokens are minted: the OAuth 2.0 client credentials grant at the provider's real token
 * endpoint. With `features.resourceIndicators`, every token is for the resource server
 * `audience` and `accessTokenFormat: 'jwt'`, so the access token is a JWT (`typ: at+jwt`) signed
 * with the provider's own keys, carrying `iss` (the provider URL), `aud`, `sub` (the client id,
 * there is no end user in this grant), `scope`, `exp`. Two clients choose the algorithm:
 * `rs-client` gets RS256 tokens, `es-client` ES256 — the provider picks the key of that alg
 * from its JWKS and puts its `kid` in the header. Gateways find the keys the normal way:
 * `/.well-known/openid-configuration` → `jwks_uri` (`/jwks`).
 *
 * The port is fixed at creation so the issuer URL is known before the provider is up (a
 * gateway can be configured while it is down). `stop()` closes the listener, `start()` listens
 * again; `rotate(keys)` swaps in a new provider instance with another key set behind the same
 * URL (what a restart with new keys looks like from outside).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { freePorts } from './cli.js';

export type SigningAlg = 'RS256' | 'ES256';

/** Client ids, by the algorithm of the tokens they get. */
export const OIDC_CLIENTS: Record<SigningAlg, { id: string; secret: string }> = {
  RS256: { id: 'rs-client', secret: 'rs-client-secret' },
  ES256: { id: 'es-client', secret: 'es-client-secret' },
};

export const DEFAULT_AUDIENCE = 'https://api.portcullis.test';
export const DEFAULT_SCOPE = 'orders:read';

/** Private signing JWKs (the provider publishes their public halves). */
export async function generateSigningKeys(specs: { kid: string; alg: SigningAlg }[]): Promise<JWK[]> {
  return Promise.all(
    specs.map(async ({ kid, alg }) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true });
      return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
    }),
  );
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`, also the `iss` of its tokens. */
  issuer: string;
  port: number;
  audience: string;
  /** Requests to the JWKS endpoint so far (across restarts). */
  jwksHits(): number;
  /** A fresh JWT access token from the token endpoint, signed with the key of `alg`. */
  token(alg: SigningAlg, scope?: string): Promise<string>;
  /** Starts listening (again). */
  start(): Promise<void>;
  /** Stops listening and drops open connections: the IdP is down. */
  stop(): Promise<void>;
  /** Replaces the key set (the next tokens are signed with these, and /jwks publishes only these). */
  rotate(keys: JWK[]): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface ProviderInstance {
  callback(): Handler;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

async function loadProvider(): Promise<ProviderClass> {
  // A non-literal specifier: the package ships no type declarations.
  const name: string = 'oidc-provider';
  const mod = (await import(name)) as { default: ProviderClass };
  return mod.default;
}

/**
 * A Map per provider instance (the package's own memory adapter works too, but warns on every
 * start). Only what the client credentials grant needs; nothing outlives the test.
 */
function memoryAdapter() {
  const store = new Map<string, Record<string, unknown>>();
  return class MemoryStore {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>) {
      store.set(this.key(id), payload);
    }
    async find(id: string) {
      return store.get(this.key(id));
    }
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      const entry = store.get(this.key(id));
      if (entry) entry.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId() {}
  };
}

function providerConfig(keys: JWK[], audience: string): Record<string, unknown> {
  return {
    adapter: memoryAdapter(),
    cookies: { keys: ['portcullis-test-cookie-key'] },
    jwks: { keys },
    clients: (Object.keys(OIDC_CLIENTS) as SigningAlg[]).map((alg) => ({
      client_id: OIDC_CLIENTS[alg].id,
      client_secret: OIDC_CLIENTS[alg].secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
          audience,
          scope: `${DEFAULT_SCOPE} orders:write`,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: client.clientId === OIDC_CLIENTS.ES256.id ? 'ES256' : 'RS256' } },
        }),
      },
    },
  };
}

/**
 * Creates a provider on a free port (or `port`), started unless `started: false`.
 * Default keys: one RS256 (`rs-1`) and one ES256 (`es-1`).
 */
export async function createOidcProvider(options: { port?: number; keys?: JWK[]; audience?: string; started?: boolean } = {}): Promise<TestOidcProvider> {
  const Provider = await loadProvider();
  const port = options.port ?? (await freePorts(1))[0]!;
  const issuer = `http://127.0.0.1:${port}`;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  let handler = new Provider(issuer, providerConfig(options.keys ?? (await generateSigningKeys([{ kid: 'rs-1', alg: 'RS256' }, { kid: 'es-1', alg: 'ES256' }])), audience)).callback();
  let hits = 0;
  let server: Server | undefined;

  const api: TestOidcProvider = {
    issuer,
    port,
    audience,
    jwksHits: () => hits,
    async token(alg, scope = DEFAULT_SCOPE) {
      const { id, secret } = OIDC_CLIENTS[alg];
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded'},
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async start() {
      if (server) return;
      const s = createServer((req, res) => {
        if (req.url?.split('?')[0] === '/jwks') hits++;
        handler(req, res);
      });
      await new Promise<void>((done, fail) => {
        s.once('error', fail);
        s.listen(port, '127.0.0.1', () => done());
      });
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((done) => {
        s.close(() => done());
        s.closeAllConnections();
      });
    },
    async rotate(keys) {
      handler = new Provider(issuer, providerConfig(keys, audience)).callback();
    },
  };
  if (options.started !== false) await api.start();
  return api;
}
