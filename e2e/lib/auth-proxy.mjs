#!/usr/bin/env node
// Loopback reverse proxy that adds `Authorization: Bearer $CUSTOS_TOKEN` to every request and
// forwards it (streaming, SSE-safe) to an upstream MCP endpoint, http or https.
// Used by conformance.sh because the conformance suite's client cannot send custom headers.
//
//   node auth-proxy.mjs <upstream-url>      (token from env CUSTOS_TOKEN; upstream CA via NODE_EXTRA_CA_CERTS)
//
// Prints "listening http://127.0.0.1:<port>" on stdout once ready; exits on SIGINT/SIGTERM or when its parent
// exits. Host and Origin headers that name the proxy itself are rewritten to the upstream's; any other
// Host/Origin (e.g. the DNS-rebinding scenario's evil.example.com) is passed through unchanged, so the server
// still sees it.
import http from 'node:http';
import https from 'node:https';

const upstream = new URL(process.argv[2] ?? '');
const token = process.env.CUSTOS_TOKEN ?? '';
const HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host']);
const lib = upstream.protocol === 'https:' ? https : http;
let self = '';

const server = http.createServer((req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  const host = req.headers.host ?? '';
  const own = host === self || host === self.replace('127.0.0.1', 'localhost');
  headers.host = own ? upstream.host : host;
  if (headers.origin && /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(headers.origin) && own) headers.origin = upstream.origin;
  if (token) headers.authorization = `Bearer ${token}`;
  const up = lib.request({
    protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port || undefined,
    method: req.method, path: req.url, headers, servername: upstream.hostname.replace(/^\[|\]$/g, ''),
  }, (ur) => {
    const out = {};
    for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(ur.statusCode ?? 502, out);
    res.flushHeaders();
    ur.on('data', (c) => res.write(c));
    ur.on('end', () => res.end());
    ur.on('error', () => res.destroy());
  });
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`auth-proxy: upstream error: ${e.code ?? e.message}`);
  });
  res.on('close', () => { if (!res.writableFinished) up.destroy(); });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  self = `127.0.0.1:${server.address().port}`;
  console.log(`listening http://${self}`);
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
// Exit with the process that started us, even if it could not stop us (SIGKILL, a shell's `exec`):
// an orphan is re-parented, so its parent pid changes.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
