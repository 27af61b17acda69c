#!/usr/bin/env node
// Full MCP OAuth discovery against a running Custos with the official TypeScript MCP SDK client
// (MCP 2025-11-25 authorization; RFC 9728, RFC 8414, RFC 8707):
//   no token -> 401 + WWW-Authenticate resource_metadata -> protected resource metadata
//   -> authorization server metadata -> token request with `resource` (client_credentials,
//   pre-registered client, SDK ClientCredentialsProvider) -> tools/list and tools/call succeed.
//
//   node oauth-check.mjs
//
// Env:
//   CUSTOS_ENDPOINT      Streamable HTTP URL of /mcp (also Custos's audience / resource URI)
//   CUSTOS_CA_CERT       PEM to trust (self-signed server cert); the script re-executes itself with NODE_EXTRA_CA_CERTS
//   OAUTH_ISSUER         the authorization server Custos advertises (expected in authorization_servers)
//   OAUTH_CLIENT_ID      pre-registered client id
//   OAUTH_CLIENT_SECRET  its secret
//   CUSTOS_PATIENT       a patient id the signed-in clinician may read
//
// Output: "ok N - ..." / "not ok N - ... # why" lines, then "N passed, M failed". Exit 0 only if all passed.
// No token or secret is ever printed.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

if (process.env.CUSTOS_CA_CERT && process.env.NODE_EXTRA_CA_CERTS !== process.env.CUSTOS_CA_CERT
    && !process.env.__CUSTOS_REEXEC) {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: process.env.CUSTOS_CA_CERT, __CUSTOS_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

const endpoint = need('CUSTOS_ENDPOINT');
const issuer = need('OAUTH_ISSUER');
const clientId = need('OAUTH_CLIENT_ID');
const clientSecret = need('OAUTH_CLIENT_SECRET');
const patient = need('CUSTOS_PATIENT');
const VERSION = '2025-11-25';

let passed = 0;
let failed = 0;
let n = 0;
function check(name, ok, why = '') {
  n += 1;
  if (ok) {
    passed += 1;
    console.log(`ok ${n} - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok ${n} - ${name}${why ? ` # ${why}` : ''}`);
  }
  return ok;
}
function need(name) {
  const v = process.env[name];
  if (!v) {
    console.log(`missing env ${name}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  return v;
}
function decode(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}
function bodyText(body) {
  if (body == null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return '';
}

// Every HTTP exchange the SDK makes (URL, method, status, form body of token requests), for the checks below.
const exchanges = [];
const recordingFetch = async (url, init = {}) => {
  const res = await fetch(url, init);
  exchanges.push({ url: String(url), method: init.method ?? 'GET', status: res.status, body: bodyText(init.body) });
  return res;
};

async function main() {
  // 1. Unauthenticated: 401 with a Bearer challenge naming the protected resource metadata.
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
      protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'oauth-check', version: '1' } } }),
  });
  check('initialize without a token is refused with 401', res.status === 401, `status ${res.status}`);
  const challenge = res.headers.get('www-authenticate') ?? '';
  const rm = /resource_metadata="([^"]+)"/.exec(challenge);
  const expectedMetadata = new URL('/.well-known/oauth-protected-resource/mcp', endpoint).href;
  check('WWW-Authenticate: Bearer with resource_metadata', challenge.startsWith('Bearer ') && rm?.[1] === expectedMetadata,
    challenge);

  // 2. Protected resource metadata (RFC 9728).
  const prm = rm ? await (await fetch(rm[1])).json() : {};
  check('protected resource metadata names this endpoint as the resource', prm.resource === endpoint, prm.resource);
  check('protected resource metadata names the authorization server', (prm.authorization_servers ?? []).includes(issuer),
    JSON.stringify(prm.authorization_servers));

  // 3. The SDK does the rest: 401 -> metadata -> AS discovery -> token request with resource -> retry.
  const provider = new ClientCredentialsProvider({ clientId, clientSecret, expectedIssuer: issuer, scope: 'openid fhirUser user/*.rs' });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider, fetch: recordingFetch });
  const client = new Client({ name: 'custos-oauth-check', version: '0.1.0' });
  let connected = false;
  try {
    await client.connect(transport);
    connected = true;
  } catch (e) {
    check('SDK client connects after OAuth discovery', false, `${e?.name}: ${e?.message}`);
  }
  if (connected) {
    check('SDK client connects after OAuth discovery', true);
  }
  const first = exchanges.find((x) => x.url === endpoint);
  check('the SDK\'s first MCP request (no token) got 401', first?.status === 401, `status ${first?.status}`);
  check('the SDK fetched the protected resource metadata',
    exchanges.some((x) => x.url.startsWith(new URL('/.well-known/oauth-protected-resource', endpoint).href) && x.status === 200));
  const asMeta = exchanges.find((x) => /\.well-known\/(oauth-authorization-server|openid-configuration)/.test(x.url)
    && x.url.startsWith(new URL(issuer).origin) && x.status === 200);
  check('the SDK discovered the authorization server metadata', !!asMeta, exchanges.map((x) => `${x.status} ${x.url}`).join(', '));
  const tokenRequest = exchanges.find((x) => x.method === 'POST' && /grant_type=client_credentials/.test(x.body));
  const form = new URLSearchParams(tokenRequest?.body ?? '');
  check('token request carries resource = the MCP endpoint (RFC 8707)', form.get('resource') === endpoint,
    `resource=${form.get('resource')}`);
  check('token request succeeded', tokenRequest?.status === 200, `status ${tokenRequest?.status}`);

  // 4. The token Custos accepted: RFC 9068, audience-bound, MFA, role.
  const at = provider.tokens()?.access_token ?? '';
  const [h, p] = at.split('.');
  let header = {};
  let claims = {};
  try {
    header = decode(h);
    claims = decode(p);
  } catch {
    // checked below
  }
  check('access token typ is at+jwt', header.typ === 'at+jwt', header.typ);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  check('access token aud is exactly the resource', aud.length === 1 && aud[0] === endpoint, JSON.stringify(claims.aud));
  check('access token iss is the discovered authorization server', claims.iss === issuer, claims.iss);
  check('access token carries MFA evidence and a role', (claims.amr ?? []).includes('mfa') && (claims.roles ?? []).includes('clinician'));

  if (connected) {
    // 5. Tools with the discovered token.
    const tools = (await client.listTools()).tools.map((t) => t.name);
    check('tools/list shows the clinician\'s tools', tools.includes('get_patient_demographics') && tools.includes('get_active_conditions'),
      tools.join(','));
    const demo = await client.callTool({ name: 'get_patient_demographics', arguments: { patient_id: patient } });
    check('tools/call get_patient_demographics succeeds', !demo.isError && typeof demo.structuredContent === 'object',
      demo.isError ? demo.content?.[0]?.text : '');
    const cond = await client.callTool({ name: 'get_active_conditions', arguments: { patient_id: patient } });
    check('tools/call get_active_conditions succeeds', !cond.isError && Array.isArray(cond.structuredContent?.items),
      cond.isError ? cond.content?.[0]?.text : '');
    await client.close();
  }
}

try {
  await main();
} catch (e) {
  check('oauth check ran to completion', false, `${e?.name}: ${e?.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
