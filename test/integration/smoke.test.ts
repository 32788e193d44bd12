import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, LISTEN, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream, type Echo } from '../helpers/upstream.js';

describe('smoke: YAML → gateway → upstream', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(`${LISTEN}
upstreams:
  orders: { targets: ["${upstream.url}"] }
routes:
  - name: orders
    match: { path: /api/orders }
    upstream: orders
    stripPrefix: true
`);
  });
  afterAll(async () => {
    await gw.stop();
    await upstream.close();
  });

  it('proxies with the prefix stripped and the query kept', async () => {
    const res = await fetch(`${gw.url}/api/orders/7?x=%2F&y`);
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.url).toBe('/7?x=%2F&y');
    expect(res.headers.get('x-request-id')).toBe(echo.headers['x-request-id']);
  });

  it('answers 404 as JSON for an unmatched path', async () => {
    const res = await fetch(`${gw.url}/api/ordersX`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });
});
