import { it, expect } from 'vitest';
import { request } from 'node:http';
import { startGateway, LISTEN } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { rawRequest } from '../helpers/raw.js';
it('probe', async () => {
  const up = await startUpstream((req, res) => {
    if (req.url === '/a/chunked') { res.write('hello'); setTimeout(() => res.end('world'), 20); return; }
    if (req.url === '/a/big') { res.end(Buffer.alloc(1_000_000)); return; }
    res.end('ok');
  });
  const gw = await startGateway(`${LISTEN}
upstreams:
  u: { targets: ["${up.url}"] }
routes:
  - name: r
    match: { path: /a }
    upstream: u
`);
  for (const p of ['/a/x', '/a/chunked', '/a/big']) { const r = await fetch(`${gw.url}${p}`); await r.arrayBuffer(); }
  const r = await fetch(`${gw.url}/a/x`, { headers: { connection: 'close' } }); await r.text();
  await rawRequest(gw.port, 'GET /a/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await rawRequest(gw.port, 'GET /a/x HTTP/1.0\r\nHost: x\r\n\r\n');
  await rawRequest(gw.port, 'POST /a/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
  await new Promise<void>((resolve) => request(`${gw.url}/a/big`, { agent: false }, (res) => { res.resume(); res.on('end', resolve); }).end());
  await new Promise((r) => setTimeout(r, 50));
  console.log(gw.logs.filter((l) => l.msg === 'request').map((l) => [l.path, l.status, l.bytesOut]));
  await gw.stop(); await up.close();
});
