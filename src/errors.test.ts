import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, GatewayError, sendError, toGatewayError, type ErrorCode } from './errors.js';

describe('error catalogue', () => {
  it('every code has a 4xx/5xx status and a message free of placeholders', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(entry.message, code).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('turns unknown throwables into internal_error without their text', () => {
    const err = toGatewayError(new Error('ECONNREFUSED 10.0.0.7:5432 secret'));
    expect(err.code).toBe('internal_error');
    expect(err.publicMessage).not.toContain('10.0.0.7');
    expect(toGatewayError(new GatewayError('forbidden')).code).toBe('forbidden');
  });
});

describe('sendError', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const code = (req.url ?? '/').slice(1) as ErrorCode;
      if (code === ('partial' as ErrorCode)) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('half');
        sendError(res, new GatewayError('bad_gateway'), 'rid');
        return;
      }
      sendError(res, new GatewayError(code, code === 'method_not_allowed' ? { headers: { allow: 'GET' } } : {}), 'rid-1', { 'x-request-id': 'rid-1' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const cases: Array<[ErrorCode, number, Record<string, string | null>]> = [
    ['invalid_token', 401, { 'www-authenticate': 'Bearer realm="portcullis"' }],
    ['rate_limited', 429, { 'retry-after': '1' }],
    ['circuit_open', 503, { 'retry-after': '5' }],
    ['method_not_allowed', 405, { allow: 'GET', 'retry-after': null }],
    ['bad_gateway', 502, { 'retry-after': null }],
  ];
  it.each(cases)('%s → %d with its headers', async (code, status, headers) => {
    const res = await fetch(`${url}/${code}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toBe('rid-1');
    for (const [name, value] of Object.entries(headers)) expect(res.headers.get(name), name).toBe(value);
    expect(await res.json()).toEqual({ error: { status, code, message: ERRORS[code].message, requestId: 'rid-1' } });
  });

  it('aborts a response that already started instead of ending it cleanly', async () => {
    await expect(fetch(`${url}/partial`).then((r) => r.text())).rejects.toThrow();
  });
});
