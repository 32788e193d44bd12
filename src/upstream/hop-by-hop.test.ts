import { describe, expect, it } from 'vitest';
import { connectionTokens, filterRequestHeaders, responseHeaders } from './hop-by-hop.js';

describe('hop-by-hop filtering', () => {
  it('drops hop-by-hop, gateway-owned and Connection-named request fields', () => {
    const raw = ['Host', 'a', 'Connection', 'close, X-Secret, x-forwarded-for', 'X-Secret', 's', 'Keep-Alive', '5', 'TE', 'trailers', 'X-User-ID', 'root', 'X-Forwarded-For', '1.2.3.4', 'Accept', '*/*', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'X-Keep', 'yes'];
    const out: string[] = [];
    filterRequestHeaders(raw, connectionTokens('close, X-Secret, x-forwarded-for'), out);
    expect(out).toEqual(['Accept', '*/*', 'X-Keep', 'yes']);
  });

  it('drops hop-by-hop and Connection-named response fields, then adds the gateway\'s own', () => {
    const headers: Record<string, string | string[] | undefined> = { connection: 'x-internal', 'x-internal': 'leak', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'upstream-chosen' };
    expect(responseHeaders(headers, { 'x-request-id': 'gw-1' })).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'gw-1' });
  });

  it('appends the gateway\'s Vary to the upstream\'s instead of replacing it', () => {
    expect(responseHeaders({ vary: 'Accept-Encoding' }, { vary: 'Origin' })).toEqual({ vary: 'Accept-Encoding, Origin' });
    expect(responseHeaders({ vary: ['Accept', 'accept-encoding'] }, { vary: 'Origin' })).toEqual({ vary: 'Accept, accept-encoding, Origin' });
    expect(responseHeaders({ vary: 'origin, Accept' }, { vary: 'Origin' })).toEqual({ vary: 'origin, Accept' });
    expect(responseHeaders({ vary: '*' }, { vary: 'Origin' })).toEqual({ vary: '*' });
    expect(responseHeaders({}, { vary: 'Origin' })).toEqual({ vary: 'Origin' });
  });

  it('reads Connection tokens, ignoring close and keep-alive', () => {
    expect(connectionTokens(undefined)).toBeNull();
    expect(connectionTokens('close')).toBeNull();
    expect([...connectionTokens(['keep-alive, Foo', ' BAR '])!]).toEqual(['foo', 'bar']);
  });
});
