/**
 * The dashboard page served at GET / on the admin listener: a small self-contained page that
 * reads the admin API (routes, upstreams, readiness) and refreshes every few seconds. No build
 * step and no third-party script; text is inserted with textContent, never as HTML.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Portcullis</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;font-family:ui-monospace,monospace;font-size:13px}
th{background:#eee}#status.ok{color:#080}#status.bad{color:#b00}
#token{display:none;margin:1rem 0}
</style></head><body>
<h1>Portcullis <span id="status">…</span></h1>
<form id="token"><label>Admin token <input id="tokenValue" type="password" autocomplete="off"></label> <button>Use</button></form>
<h2>Routes</h2><table><thead><tr><th>name</th><th>methods</th><th>host</th><th>path</th><th>upstream</th><th>plugins</th></tr></thead><tbody id="routes"></tbody></table>
<h2>Upstreams</h2><table><thead><tr><th>upstream</th><th>target</th><th>weight</th><th>health</th><th>circuit</th><th>in flight</th><th>connected</th><th>pending</th></tr></thead><tbody id="upstreams"></tbody></table>
<script>
const token = () => sessionStorage.getItem('portcullis-token') || '';
const row = (cells) => { const tr = document.createElement('tr'); for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); } return tr; };
async function api(path) {
  const res = await fetch(path, { headers: token() ? { authorization: 'Bearer ' + token() } : {} });
  if (res.status === 401) { document.getElementById('token').style.display = 'block'; throw new Error('token needed'); }
  return res.json();
}
async function refresh() {
  try {
    const ready = await fetch('/ready').then((r) => r.json());
    const status = document.getElementById('status');
    status.textContent = ready.status + ' (config #' + ready.generation + ')';
    status.className = ready.status === 'ready' ? 'ok' : 'bad';
    const { routes } = await api('/admin/routes');
    document.getElementById('routes').replaceChildren(...routes.map((r) => row([r.name, (r.match.methods || ['*']).join(' '), (r.match.hosts || ['*']).join(' '), r.match.path + (r.match.exact ? '' : '/…'), r.upstream, r.plugins.join(' ')])));
    const { upstreams } = await api('/admin/upstreams');
    document.getElementById('upstreams').replaceChildren(...upstreams.flatMap((u) => u.targets.map((t) => row([u.name, t.url, t.weight, t.healthy ? (t.inRotation ? 'healthy' : 'healthy, out of rotation') : (t.health.ejectedUntil ? 'ejected until ' + t.health.ejectedUntil : 'probe failing'), t.circuit || '-', t.inflight, t.connections.connected, t.connections.pending]))));
  } catch (err) { /* shown by the status line on the next refresh */ }
}
document.getElementById('token').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('portcullis-token', document.getElementById('tokenValue').value); document.getElementById('token').style.display = 'none'; refresh(); });
refresh(); setInterval(refresh, 3000);
</script></body></html>`;
