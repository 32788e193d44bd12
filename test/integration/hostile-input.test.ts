import { it } from 'vitest';
import { startGateway, LISTEN } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { rawRequest } from '../helpers/raw.js';
const H = 'Host: 127.0.0.1\r\n';
const cases: [string, string][] = [
  ['nover', 'GET /public/x\r\nHost: a\r\n\r\n'],
  ['lower', 'get /public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['garbage method', 'G@T /public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['double space', 'GET  /public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['http09', 'GET /\r\n'],
  ['long method', 'A'.repeat(5000) + ' /public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['long method 100', 'A'.repeat(100) + ' /public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['v9.9', 'GET /public/x HTTP/9.9\r\nHost: a\r\n\r\n'],
  ['v2.0', 'GET /public/x HTTP/2.0\r\nHost: a\r\n\r\n'],
  ['v1.0 no host', 'GET /public/x HTTP/1.0\r\n\r\n'],
  ['NUL target', 'GET /public/x\x00y HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['CR target', 'GET /public/x\ry HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['bare LF', 'GET /public/x HTTP/1.1\nHost: a\n\n'],
  ['bare LF headers', 'GET /public/x HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n'],
  ['no colon', 'GET /public/x HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n'],
  ['space before colon', 'GET /public/x HTTP/1.1\r\nHost : a\r\n\r\n'],
  ['space before colon other', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n'],
  ['bad name char', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n'],
  ['bad name char @', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX@A: b\r\n\r\n'],
  ['CR in value', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n'],
  ['LF in value', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n'],
  ['NUL in value', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n'],
  ['CL+TE', 'POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['two CL', 'POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  ['two same CL', 'POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello'],
  ['+5', 'POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello'],
  ['5, 5', 'POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello'],
  ['te chunked, identity', 'POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['te identity, chunked', 'POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['xchunked', 'POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['chunk garbage', 'POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['chunk ext', 'POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;foo=bar\r\nhello\r\n0\r\n\r\n'],
  ['obs-fold', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
  ['obs-fold tab', 'GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n'],
  ['no host', 'GET /public/x HTTP/1.1\r\n\r\n'],
  ['two hosts', 'GET /public/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['abs form', 'GET http://evil.example/public/x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['CONNECT', 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n'],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['backslash', 'GET /public\\..\\secret HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['semicolon', 'GET /public/..;/secret HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['overlong', 'GET /public/%c0%ae%c0%ae/secret HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['upgrade', 'GET /public/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
];
it('probe', async () => {
  const up = await startUpstream();
  const gw = await startGateway(`${LISTEN}
limits: { maxHeaderSize: 2kb, maxHeaders: 20, headersTimeout: 1s, requestTimeout: 2s }
upstreams:
  u: { targets: ["${up.url}"] }
routes:
  - { name: public, match: { path: /public }, upstream: u }
  - { name: admin, match: { path: /admin }, upstream: u }
`);
  for (const [name, p] of cases) {
    const before = up.requests.length;
    const r = await rawRequest(gw.port, p, 300);
    console.log(`=== ${name}: ${r.status} closed=${r.closed} ${r.body.slice(0, 120)} | up=${JSON.stringify(up.requests.slice(before).map((q) => [q.method, q.url, q.body, q.headers['x-a'], q.headers['host']]))} | resp#=${(r.text.match(/HTTP\/1.1 /g) ?? []).length}`);
  }
  await gw.stop(); await up.close();
});
