#!/usr/bin/env node
// End-to-end check of a running Custos MCP server with the official TypeScript MCP SDK client.
//
//   node client-check.mjs --transport stdio|http
//
// Env:
//   CUSTOS_ENDPOINT   (http)  URL of the Streamable HTTP endpoint, e.g. https://127.0.0.1:8443/mcp
//   CUSTOS_CA_CERT    (http)  PEM file to trust (self-signed server cert); the script re-executes
//                             itself with NODE_EXTRA_CA_CERTS set to it (Node reads that only at start)
//   CUSTOS_STDIO_CMD  (stdio) JSON array: command + args that start the server on stdio
//   CUSTOS_TOKEN      (opt)   bearer token: Authorization header (http) / CUSTOS_TOKEN in the child env (stdio)
//   FHIR_BASE                 plain-http base URL of the upstream FHIR R4 server with the same data
//   CUSTOS_PATIENTS           JSON array of FHIR Patient logical ids to test with
//   CUSTOS_MAX_PATIENTS (opt) how many of them to run the full tool sweep for (default 3)
//   CUSTOS_CONSENT_RESTRICTED (opt) a patient whose active Consent restricts disclosure to an organisation the
//                             caller is not in: every read is refused with reason consent
//   CUSTOS_RESEARCH_OPTED_OUT (opt) a patient with an active research opt-out Consent: treatment reads succeed and
//                             get_patient_consents shows the opt-out
//   CUSTOS_CARE_RELATIONSHIPS=1 (opt) the server enforces care relationships (an unknown patient is outside care)
//   CUSTOS_TIMEOUT_MS   (opt) per-request timeout (default 60000)
//   CUSTOS_VERBOSE=1    (opt) print details of passing checks too
//
// Output: one line per check ("ok N - ..." / "not ok N - ... # why"), then exactly
// "N passed, M failed" on the last line. Exit code 0 only if every check passed.

import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// ---------------------------------------------------------------------------------------------
// Re-exec with NODE_EXTRA_CA_CERTS so that fetch (undici) trusts the server's self-signed cert.
// ---------------------------------------------------------------------------------------------
if (process.env.CUSTOS_CA_CERT && process.env.NODE_EXTRA_CA_CERTS !== process.env.CUSTOS_CA_CERT
    && !process.env.__CUSTOS_REEXEC) {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: process.env.CUSTOS_CA_CERT, __CUSTOS_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

// ---------------------------------------------------------------------------------------------
// The tool contract and its FHIR equivalent. Edit HERE when a detail of the Java side differs.
//   fhir(pid, args) -> [resourceType, searchParams]  the equivalent FHIR search (first page);
//   date(resource)  -> sort key of a _sort=-date search (used to tolerate ties at page borders);
//   maxLimit        -> largest `limit` the tool accepts.
// ---------------------------------------------------------------------------------------------
const LIST_TOOLS = {
  get_active_conditions: { maxLimit: 50, fhir: (pid) => ['Condition', { patient: pid, 'clinical-status': 'active' }] },
  get_medications: { maxLimit: 50, fhir: (pid, a) => ['MedicationRequest', { patient: pid, status: a.status ?? 'active' }] },
  get_allergies: { maxLimit: 50, fhir: (pid) => ['AllergyIntolerance', { patient: pid }] },
  get_lab_results: {
    maxLimit: 50, date: obsDate,
    fhir: (pid) => ['Observation', { patient: pid, category: 'laboratory', _sort: '-date' }],
  },
  get_vital_signs: {
    maxLimit: 50, date: obsDate,
    fhir: (pid) => ['Observation', { patient: pid, category: 'vital-signs', _sort: '-date' }],
  },
  get_immunizations: { maxLimit: 50, fhir: (pid) => ['Immunization', { patient: pid }] },
  list_encounters: {
    maxLimit: 50, date: (r) => r.period?.start ?? r.period?.end,
    fhir: (pid) => ['Encounter', { patient: pid, _sort: '-date' }],
  },
  check_coverage: { maxLimit: 20, fhir: (pid) => ['Coverage', { beneficiary: pid }] },
  list_appointments: {
    maxLimit: 50, date: (r) => r.start,
    fhir: (pid) => ['Appointment', { patient: pid, _sort: '-date' }],
  },
  get_clinical_notes: {
    maxLimit: 5, date: (r) => r.date ?? r.context?.period?.start,
    fhir: (pid) => ['DocumentReference', { patient: pid, _sort: '-date' }],
  },
};
const SINGLE_TOOLS = ['find_patient', 'get_patient_demographics', 'get_encounter'];
const READ_TOOLS = [...SINGLE_TOOLS, ...Object.keys(LIST_TOOLS)];
const EXPECTED_PROMPT = 'pre_visit_summary';
const EXPECTED_RESOURCE = 'custos://policy';
const PAGING_TOOL = 'get_vital_signs'; // needs > 2 items for one of the patients
const FHIR_PAGE = 100;                 // _count used to read the full FHIR result set
const FHIR_MAX_ITEMS = 5000;           // stop following FHIR next links after this many entries

function obsDate(r) {
  return r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.effectiveInstant ?? r.issued;
}

// ---------------------------------------------------------------------------------------------
// Tiny check runner
// ---------------------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
let seq = 0;
const verbose = process.env.CUSTOS_VERBOSE === '1';

function report(ok, name, detail) {
  seq += 1;
  if (ok) passed += 1; else failed += 1;
  const d = detail ? ` # ${String(detail).replace(/\s+/g, ' ').slice(0, 400)}` : '';
  console.log(`${ok ? 'ok' : 'not ok'} ${seq} - ${name}${ok && !verbose ? '' : d}`);
}

async function check(name, fn) {
  try {
    const r = await fn();
    if (r === true || r === undefined) report(true, name);
    else if (r === false) report(false, name, 'check returned false');
    else if (typeof r === 'string') report(false, name, r);           // a string is a failure reason
    else if (r && typeof r === 'object' && 'ok' in r) report(!!r.ok, name, r.detail);
    else report(true, name);
  } catch (e) {
    report(false, name, `threw: ${e?.message ?? e}`);
  }
}

function fail(msg) { throw new Error(msg); }

function env(name, required = true) {
  const v = process.env[name];
  if (required && (v === undefined || v === '')) {
    console.error(`client-check: environment variable ${name} is required`);
    process.exit(2);
  }
  return v;
}

function parseJsonEnv(name) {
  const raw = env(name);
  try { return JSON.parse(raw); } catch (e) {
    console.error(`client-check: ${name} is not valid JSON: ${e.message}`);
    process.exit(2);
  }
}

// Java stack frames / exception class names must never reach a client.
const STACK_RE = /\bat (?:io|java|javax|jdk|reactor|org|com|sun|kotlin)\.[\w$.]+|\b\w*Exception\b|\bjava\.lang\.\w+|\.java:\d+\)|Caused by:/;
function stackTraceIn(text) {
  const m = String(text).match(STACK_RE);
  return m ? m[0] : null;
}

function textOf(result) {
  return (result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

function errorText(e) {
  const parts = [e?.message ?? String(e)];
  if (e?.code !== undefined) parts.push(`(code ${e.code})`);
  if (e?.data !== undefined) parts.push(JSON.stringify(e.data));
  for (let c = e?.cause, i = 0; c && i < 3; c = c.cause, i += 1) parts.push(`cause: ${c.code ?? ''} ${c.message ?? c}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// FHIR helpers (plain fetch against FHIR_BASE)
// ---------------------------------------------------------------------------------------------
const FHIR_BASE = (env('FHIR_BASE')).replace(/\/+$/, '');
// A server may answer a repeated search from a cache of earlier results (HAPI FHIR JPA: 60 s); ask for fresh ones.
const FHIR_HEADERS = { Accept: 'application/fhir+json', 'Cache-Control': 'no-cache' };

async function fhirGet(pathOrUrl) {
  const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${FHIR_BASE}/${pathOrUrl}`;
  const res = await fetch(url, { headers: FHIR_HEADERS });
  if (!res.ok) throw new Error(`FHIR GET ${url} -> HTTP ${res.status}`);
  return res.json();
}

/** All matching resources (following next links, bounded) and the Bundle total. */
async function fhirSearchAll(type, params) {
  const qs = new URLSearchParams({ ...params, _count: String(FHIR_PAGE) });
  let bundle = await fhirGet(`${type}?${qs}`);
  const total = typeof bundle.total === 'number' ? bundle.total : undefined;
  const resources = [];
  for (;;) {
    for (const e of bundle.entry ?? []) {
      if (e.resource?.resourceType === type && (e.search?.mode ?? 'match') === 'match') resources.push(e.resource);
    }
    const next = (bundle.link ?? []).find((l) => l.relation === 'next')?.url;
    if (!next || resources.length >= FHIR_MAX_ITEMS) break;
    bundle = await fhirGet(next);
  }
  return { total: total ?? resources.length, resources };
}

// ---------------------------------------------------------------------------------------------
// MCP connection
// ---------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const i = argv.indexOf('--transport');
  const t = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--transport='))?.split('=')[1];
  if (t !== 'stdio' && t !== 'http') {
    console.error('usage: node client-check.mjs --transport stdio|http');
    process.exit(2);
  }
  return { transport: t };
}

const TIMEOUT = Number(process.env.CUSTOS_TIMEOUT_MS ?? 60000);
const reqOpts = { timeout: TIMEOUT };
let stdioStderr = '';

async function connect(transportKind) {
  const token = process.env.CUSTOS_TOKEN;
  let transport;
  if (transportKind === 'http') {
    const endpoint = env('CUSTOS_ENDPOINT');
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    transport = new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers } });
  } else {
    const cmd = parseJsonEnv('CUSTOS_STDIO_CMD');
    if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((x) => typeof x === 'string')) {
      console.error('client-check: CUSTOS_STDIO_CMD must be a non-empty JSON array of strings');
      process.exit(2);
    }
    const childEnv = { ...getDefaultEnvironment(), ...process.env };
    delete childEnv.__CUSTOS_REEXEC;
    if (token) childEnv.CUSTOS_TOKEN = token;
    transport = new StdioClientTransport({ command: cmd[0], args: cmd.slice(1), env: childEnv, stderr: 'pipe' });
    transport.stderr?.on('data', (d) => { stdioStderr = (stdioStderr + d.toString()).slice(-20000); });
  }
  const client = new Client({ name: 'custos-e2e-client-check', version: '0.1.0' }, { capabilities: {} });
  await client.connect(transport, reqOpts);
  return client;
}

/** tools/call that never throws: returns { result } or { error } */
async function call(client, name, args) {
  try {
    return { result: await client.callTool({ name, arguments: args }, undefined, reqOpts) };
  } catch (e) {
    return { error: e };
  }
}

function structured(name, r) {
  if (r.error) fail(`${name}: request failed: ${errorText(r.error)}`);
  if (r.result.isError) fail(`${name}: isError result: ${textOf(r.result).slice(0, 300)}`);
  const sc = r.result.structuredContent;
  if (!sc || typeof sc !== 'object') fail(`${name}: no structuredContent`);
  return sc;
}

function sameSet(a, b) {
  const A = new Set(a); const B = new Set(b);
  return A.size === B.size && [...A].every((x) => B.has(x));
}

function diffDesc(toolIds, fhirIds) {
  const F = new Set(fhirIds); const T = new Set(toolIds);
  const extra = [...T].filter((x) => !F.has(x)).slice(0, 5);
  const missing = [...F].filter((x) => !T.has(x)).slice(0, 5);
  return `tool=${T.size} fhir=${F.size} notInFhir=[${extra}] missingFromTool=[${missing}]`;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------
async function checkListTool(client, tool, pid, spec) {
  const limit = spec.maxLimit;
  const r = await call(client, tool, { patient_id: pid, limit });
  const sc = structured(tool, r);
  if (!Array.isArray(sc.items)) fail('structuredContent.items is not an array');
  if (sc.patient_id !== pid) fail(`patient_id ${JSON.stringify(sc.patient_id)} != ${pid}`);
  if (sc.count !== sc.items.length) fail(`count ${sc.count} != items.length ${sc.items.length}`);
  if (sc.items.length > limit) fail(`${sc.items.length} items > limit ${limit}`);
  const ids = sc.items.map((it) => it?.id);
  if (ids.some((x) => typeof x !== 'string' || !x)) fail('an item has no string id');
  if (new Set(ids).size !== ids.length) fail('duplicate item ids on one page');
  const txt = textOf(r.result);
  if (!txt) fail('no text content');
  try {
    const parsed = JSON.parse(txt);
    if (!sameSet((parsed.items ?? []).map((x) => x.id), ids)) fail('text content JSON items differ from structuredContent');
  } catch (e) {
    if (e instanceof SyntaxError) fail('text content is not the JSON of structuredContent');
    throw e;
  }

  const [type, params] = spec.fhir(pid, {});
  const all = await fhirSearchAll(type, params);
  const fhirIds = all.resources.map((x) => x.id);
  const fhirSet = new Set(fhirIds);
  const notInFhir = ids.filter((x) => !fhirSet.has(x));
  if (notInFhir.length) fail(`ids not in FHIR ${type} search for this patient: ${notInFhir.slice(0, 5)} (${diffDesc(ids, fhirIds)})`);

  // Records in sensitive categories (42 CFR Part 2, mental health, HIV, reproductive health) are withheld
  // from this caller and counted in structuredContent.withheld instead of being returned.
  const withheld = sc.withheld?.count ?? 0;
  if (all.total <= limit) {
    if (withheld === 0 && !sameSet(ids, fhirIds)) fail(`id set differs from FHIR: ${diffDesc(ids, fhirIds)}`);
    if (ids.length + withheld !== all.total) fail(`${ids.length} items + ${withheld} withheld != FHIR total ${all.total}`);
    if (sc.next_cursor) fail(`next_cursor present although FHIR total ${all.total} <= limit ${limit}`);
    return { ok: true, detail: `${ids.length} items == FHIR total ${all.total}` };
  }
  // More results than one page: the page must be full and have a cursor.
  if (ids.length + withheld !== limit) fail(`FHIR total ${all.total} > limit ${limit} but page has ${ids.length} items + ${withheld} withheld`);
  if (!sc.next_cursor) fail(`FHIR total ${all.total} > limit ${limit} but no next_cursor`);
  if (spec.date) {
    // Sorted newest first: the page must be the `limit` newest resources, ties at the border allowed.
    const byId = new Map(all.resources.map((x) => [x.id, x]));
    const sorted = [...all.resources].sort((a, b) => String(spec.date(b) ?? '').localeCompare(String(spec.date(a) ?? '')));
    const border = String(spec.date(sorted[limit - 1]) ?? '');
    const tooOld = ids.filter((x) => String(spec.date(byId.get(x)) ?? '') < border);
    if (tooOld.length) fail(`page holds items older than the ${limit} newest (border ${border}): ${tooOld.slice(0, 5)}`);
  }
  return { ok: true, detail: `${ids.length} items, FHIR total ${all.total}, next_cursor present` };
}

async function main() {
  const { transport } = parseArgs(process.argv.slice(2));
  const patients = parseJsonEnv('CUSTOS_PATIENTS');
  if (!Array.isArray(patients) || patients.length === 0) {
    console.error('client-check: CUSTOS_PATIENTS must be a non-empty JSON array of patient ids');
    process.exit(2);
  }
  const maxPatients = Number(process.env.CUSTOS_MAX_PATIENTS ?? 3);
  const sweep = patients.slice(0, Math.max(1, maxPatients));
  console.log(`# custos client-check transport=${transport} patients=${sweep.length}/${patients.length}`);

  let client;
  try {
    client = await connect(transport);
    report(true, `connect over ${transport} (server ${client.getServerVersion()?.name ?? '?'} ${client.getServerVersion()?.version ?? ''})`);
  } catch (e) {
    report(false, `connect over ${transport}`, `${errorText(e)} ${stdioStderr.slice(-1000)}`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(1);
  }

  try {
    await runChecks(client, sweep, patients);
  } finally {
    try { await client.close(); } catch { /* ignore */ }
  }
}

async function runChecks(client, sweep, patients) {
  // ---- tools/list and tool metadata --------------------------------------------------------
  let tools = [];
  await check('tools/list returns tools', async () => {
    const all = [];
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, reqOpts);
      all.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    tools = all;
    return tools.length > 0 || 'no tools';
  });
  const byName = new Map(tools.map((t) => [t.name, t]));
  for (const name of READ_TOOLS) {
    await check(`tool ${name} is listed with strict inputSchema, outputSchema, read-only annotations`, () => {
      const t = byName.get(name);
      if (!t) return `not listed (tools: ${[...byName.keys()].join(', ')})`;
      if (t.inputSchema?.type !== 'object') return 'inputSchema.type is not object';
      if (t.inputSchema.additionalProperties !== false) return 'inputSchema.additionalProperties is not false';
      if (name !== 'find_patient') {
        if (!t.inputSchema.properties?.patient_id) return 'inputSchema has no patient_id property';
      }
      if (LIST_TOOLS[name]) {
        const lim = t.inputSchema.properties?.limit;
        if (!lim) return 'list tool without limit property';
        if (!t.inputSchema.properties?.cursor) return 'list tool without cursor property';
      }
      if (!t.outputSchema || t.outputSchema.type !== 'object') return 'no outputSchema of type object';
      if (!t.annotations) return 'no annotations';
      if (t.annotations.readOnlyHint !== true) return `readOnlyHint is ${t.annotations.readOnlyHint}`;
      if (!t.description) return 'no description';
      return true;
    });
  }
  await check('every listed tool has additionalProperties:false, outputSchema and annotations', () => {
    const bad = tools.filter((t) => t.inputSchema?.additionalProperties !== false || !t.outputSchema || !t.annotations);
    return bad.length === 0 || `bad: ${bad.map((t) => t.name).join(', ')}`;
  });

  // ---- per patient: every read tool cross-checked with FHIR ---------------------------------
  for (const pid of sweep) {
    let fhirPatient;
    await check(`[${pid}] FHIR Patient/${pid} exists upstream`, async () => {
      fhirPatient = await fhirGet(`Patient/${encodeURIComponent(pid)}`);
      return fhirPatient.id === pid || `FHIR returned id ${fhirPatient.id}`;
    });

    await check(`[${pid}] get_patient_demographics matches FHIR Patient`, async () => {
      const outer = structured('get_patient_demographics', await call(client, 'get_patient_demographics', { patient_id: pid }));
      if (outer.patient_id !== pid) return `patient_id ${outer.patient_id}`;
      const sc = outer.patient ?? {};
      if (sc.id !== pid) return `id ${sc.id}`;
      if (!fhirPatient) return 'no FHIR patient to compare';
      if ((sc.gender ?? null) !== (fhirPatient.gender ?? null)) return `gender ${sc.gender} != ${fhirPatient.gender}`;
      if ((sc.birthDate ?? null) !== (fhirPatient.birthDate ?? null)) return `birthDate ${sc.birthDate} != ${fhirPatient.birthDate}`;
      return true;
    });

    await check(`[${pid}] find_patient(family, birthdate) finds the patient, ids match FHIR search`, async () => {
      const family = fhirPatient?.name?.find((n) => n.family)?.family;
      if (!family) return 'FHIR patient has no family name';
      const args = { family };
      if (fhirPatient.birthDate) args.birthdate = fhirPatient.birthDate;
      const sc = structured('find_patient', await call(client, 'find_patient', args));
      if (!Array.isArray(sc.items)) return 'items is not an array';
      const ids = sc.items.map((x) => x.id);
      if (!ids.includes(pid)) return `patient ${pid} not in result [${ids.slice(0, 10)}]`;
      const me = sc.items.find((x) => x.id === pid);
      if (me.birthDate && me.birthDate !== fhirPatient.birthDate) return `birthDate ${me.birthDate} != ${fhirPatient.birthDate}`;
      const all = await fhirSearchAll('Patient', { family, birthdate: args.birthdate });
      const fhirIds = all.resources.map((x) => x.id);
      const notInFhir = ids.filter((x) => !fhirIds.includes(x));
      if (notInFhir.length) return `ids not in FHIR search: ${notInFhir}`;
      if (all.total <= ids.length || !sc.next_cursor) {
        if (!sameSet(ids, fhirIds) && all.total <= 20) return `id set differs: ${diffDesc(ids, fhirIds)}`;
      }
      return true;
    });

    for (const [tool, spec] of Object.entries(LIST_TOOLS)) {
      await check(`[${pid}] ${tool} matches FHIR ${spec.fhir(pid, {})[0]} search`, () => checkListTool(client, tool, pid, spec));
    }

    await check(`[${pid}] get_encounter returns the FHIR Encounter`, async () => {
      const all = await fhirSearchAll('Encounter', { patient: pid, _sort: '-date' });
      if (all.resources.length === 0) return { ok: true, detail: 'patient has no encounters; skipped' };
      const eid = all.resources[0].id;
      const r = await call(client, 'get_encounter', { patient_id: pid, encounter_id: eid });
      if (r.result?.isError && /withheld: it is in a sensitive category/.test(textOf(r.result))) {
        return { ok: true, detail: `encounter ${eid} is in a sensitive category: withheld with a clear refusal` };
      }
      const sc = structured('get_encounter', r);
      if (sc.patient_id !== pid) return `patient_id ${sc.patient_id}`;
      if (sc.encounter?.id !== eid) return `encounter.id ${sc.encounter?.id} != ${eid}`;
      const fe = await fhirGet(`Encounter/${encodeURIComponent(eid)}`);
      const subj = fe.subject?.reference ?? '';
      if (!subj.endsWith(`Patient/${pid}`)) return `FHIR Encounter subject ${subj} is not Patient/${pid}`;
      return true;
    });
  }

  // ---- paging: follow next_cursor once ------------------------------------------------------
  await check(`${PAGING_TOOL} limit=2: next_cursor leads to a different second page`, async () => {
    for (const pid of patients) {
      const p1 = structured(PAGING_TOOL, await call(client, PAGING_TOOL, { patient_id: pid, limit: 2 }));
      if (!p1.next_cursor) continue;
      if (p1.items.length !== 2) return `first page has ${p1.items.length} items`;
      const p2 = structured(PAGING_TOOL, await call(client, PAGING_TOOL, { patient_id: pid, limit: 2, cursor: p1.next_cursor }));
      if (!Array.isArray(p2.items) || p2.items.length === 0) return 'second page empty';
      if (p2.patient_id !== pid) return `second page patient_id ${p2.patient_id}`;
      const first = new Set(p1.items.map((x) => x.id));
      const overlap = p2.items.filter((x) => first.has(x.id)).map((x) => x.id);
      if (overlap.length) return `second page repeats ids ${overlap}`;
      const [type, params] = LIST_TOOLS[PAGING_TOOL].fhir(pid, {});
      const fhirIds = new Set((await fhirSearchAll(type, params)).resources.map((x) => x.id));
      const foreign = p2.items.map((x) => x.id).filter((x) => !fhirIds.has(x));
      if (foreign.length) return `second page ids not in FHIR: ${foreign}`;
      return { ok: true, detail: `patient ${pid}: page1=[${[...first]}] page2=[${p2.items.map((x) => x.id)}]` };
    }
    return `no patient in CUSTOS_PATIENTS has more than 2 ${PAGING_TOOL} results`;
  });

  await check(`${PAGING_TOOL}: a cursor is bound to its patient (reuse for another patient is refused)`, async () => {
    if (patients.length < 2) return { ok: true, detail: 'needs 2 patients; skipped' };
    for (const pid of patients) {
      const p1 = structured(PAGING_TOOL, await call(client, PAGING_TOOL, { patient_id: pid, limit: 2 }));
      if (!p1.next_cursor) continue;
      const other = patients.find((x) => x !== pid);
      const r = await call(client, PAGING_TOOL, { patient_id: other, limit: 2, cursor: p1.next_cursor });
      if (r.error || r.result.isError) return true;
      const items = r.result.structuredContent?.items ?? [];
      const [type, params] = LIST_TOOLS[PAGING_TOOL].fhir(pid, {});
      const pidIds = new Set((await fhirSearchAll(type, params)).resources.map((x) => x.id));
      const leaked = items.filter((x) => pidIds.has(x.id));
      return leaked.length === 0 || `cursor of ${pid} returned its data for ${other}: ${leaked.map((x) => x.id)}`;
    }
    return { ok: true, detail: 'no multi-page patient; skipped' };
  });

  // ---- negative cases -----------------------------------------------------------------------
  const pid0 = patients[0];
  await check('unknown tool is an error', async () => {
    const r = await call(client, 'no_such_tool_custos_e2e', { patient_id: pid0 });
    const msg = r.error ? errorText(r.error) : textOf(r.result);
    if (!r.error && !r.result.isError) return 'unknown tool call succeeded';
    const st = stackTraceIn(msg);
    return !st || `stack trace text in error: ${st}`;
  });

  const badCalls = [
    ['additional property', 'get_vital_signs', { patient_id: pid0, bogus_field: 'x' }],
    ['limit above maximum', 'get_vital_signs', { patient_id: pid0, limit: 100000 }],
    ['limit of wrong type', 'get_lab_results', { patient_id: pid0, limit: 'twenty' }],
    ['missing required patient_id', 'get_allergies', {}],
    ['malformed date', 'get_lab_results', { patient_id: pid0, date_from: 'yesterday; DROP' }],
    ['get_clinical_notes limit above 5', 'get_clinical_notes', { patient_id: pid0, limit: 6 }],
  ];
  for (const [what, tool, args] of badCalls) {
    await check(`schema violation (${what}) on ${tool} is an error without stack trace`, async () => {
      const r = await call(client, tool, args);
      if (!r.error && !r.result.isError) return `accepted: ${JSON.stringify(r.result.structuredContent ?? textOf(r.result)).slice(0, 200)}`;
      const msg = r.error ? errorText(r.error) : textOf(r.result);
      if (!msg.trim()) return 'error has no message';
      const st = stackTraceIn(msg);
      return !st || `stack trace / exception text in error: ${st}: ${msg.slice(0, 200)}`;
    });
  }

  await check('unknown patient id gives a clear not-found tool error (isError)', async () => {
    const r = await call(client, 'get_patient_demographics', { patient_id: 'custos-e2e-no-such-patient-000' });
    if (r.error) return `JSON-RPC error instead of isError result: ${errorText(r.error)}`;
    if (!r.result.isError) return `no isError: ${JSON.stringify(r.result.structuredContent ?? textOf(r.result)).slice(0, 200)}`;
    const msg = textOf(r.result);
    // With care relationships enforced, an unknown patient is simply not in the caller's care: the refusal must not
    // reveal whether the patient exists.
    if (process.env.CUSTOS_CARE_RELATIONSHIPS === '1') {
      if (!/care relationship/i.test(msg)) return `not refused as outside the caller's care: ${msg.slice(0, 200)}`;
    } else if (!/not\s*found|unknown patient|no such|does not exist/i.test(msg)) {
      return `message does not say not found: ${msg.slice(0, 200)}`;
    }
    const st = stackTraceIn(msg);
    return !st || `stack trace text: ${st}`;
  });

  await check('unknown patient id on a list tool is an isError result', async () => {
    const r = await call(client, 'get_active_conditions', { patient_id: 'custos-e2e-no-such-patient-000' });
    if (r.error) return `JSON-RPC error instead of isError result: ${errorText(r.error)}`;
    return r.result.isError === true || `no isError: ${JSON.stringify(r.result.structuredContent).slice(0, 200)}`;
  });

  await check('get_encounter with another patient\'s encounter is refused', async () => {
    if (patients.length < 2) return { ok: true, detail: 'needs 2 patients; skipped' };
    for (const other of patients.slice(1)) {
      const enc = await fhirSearchAll('Encounter', { patient: other });
      if (!enc.resources.length) continue;
      const r = await call(client, 'get_encounter', { patient_id: pid0, encounter_id: enc.resources[0].id });
      if (r.error || r.result.isError) return true;
      return `returned ${other}'s encounter ${enc.resources[0].id} under patient ${pid0}`;
    }
    return { ok: true, detail: 'no other patient with encounters; skipped' };
  });

  // ---- prompts and resources ----------------------------------------------------------------
  await check(`prompts/list contains ${EXPECTED_PROMPT} and prompts/get works`, async () => {
    const { prompts } = await client.listPrompts({}, reqOpts);
    const p = prompts.find((x) => x.name === EXPECTED_PROMPT);
    if (!p) return `prompts: ${prompts.map((x) => x.name).join(', ')}`;
    const args = {};
    for (const a of p.arguments ?? []) if (a.name === 'patient_id') args.patient_id = pid0;
    const missing = (p.arguments ?? []).filter((a) => a.required && !(a.name in args)).map((a) => a.name);
    if (missing.length) return { ok: true, detail: `listed; get skipped, unknown required args ${missing}` };
    const got = await client.getPrompt({ name: EXPECTED_PROMPT, arguments: args }, reqOpts);
    return (Array.isArray(got.messages) && got.messages.length > 0) || 'prompt has no messages';
  });

  await check(`resources/list contains ${EXPECTED_RESOURCE} and it can be read`, async () => {
    const { resources } = await client.listResources({}, reqOpts);
    if (!resources.some((x) => x.uri === EXPECTED_RESOURCE)) return `resources: ${resources.map((x) => x.uri).join(', ')}`;
    const rr = await client.readResource({ uri: EXPECTED_RESOURCE }, reqOpts);
    const c = rr.contents?.[0];
    if (!c) return 'no contents';
    if (c.uri !== EXPECTED_RESOURCE) return `content uri ${c.uri}`;
    if (!(c.text?.length > 0 || c.blob?.length > 0)) return 'empty policy content';
    return true;
  });

  await check('ping', async () => {
    await client.ping(reqOpts);
    return true;
  });

  await consentChecks(client);
}

// ---- the patient's Consents (FHIR R4 Consent) -------------------------------------------------
async function consentChecks(client) {
  const restricted = process.env.CUSTOS_CONSENT_RESTRICTED;
  const optedOut = process.env.CUSTOS_RESEARCH_OPTED_OUT;
  if (restricted) {
    for (const tool of ['get_active_conditions', 'get_patient_consents']) {
      await check(`[consent] ${tool} for a patient whose consent restricts disclosure to another organisation is refused`, async () => {
        const r = await call(client, tool, { patient_id: restricted });
        if (r.error) return `JSON-RPC error instead of isError result: ${errorText(r.error)}`;
        if (!r.result.isError) return `not refused: ${JSON.stringify(r.result.structuredContent).slice(0, 200)}`;
        const msg = textOf(r.result);
        if (!/consent/i.test(msg)) return `refusal does not name the consent: ${msg.slice(0, 200)}`;
        return !stackTraceIn(msg) || `stack trace text: ${stackTraceIn(msg)}`;
      });
    }
  }
  if (optedOut) {
    await check('[consent] a research opt-out does not restrict treatment: get_active_conditions matches FHIR', async () => {
      const sc = structured('get_active_conditions', await call(client, 'get_active_conditions', { patient_id: optedOut }));
      const fhir = await fhirSearchAll('Condition', { patient: optedOut, 'clinical-status': 'active' });
      const got = sc.items.map((i) => i.id);
      const want = fhir.resources.map((r) => r.id);
      return (want.length > 0 && sameSet(got, want)) || `tool ${got} vs FHIR ${want}`;
    });
    await check('[consent] get_patient_consents shows the research opt-out in plain words', async () => {
      const sc = structured('get_patient_consents', await call(client, 'get_patient_consents', { patient_id: optedOut }));
      if (sc.items?.length !== 1) return `items: ${JSON.stringify(sc.items).slice(0, 300)}`;
      const c = sc.items[0];
      if (c.scope !== 'research') return `scope ${c.scope}`;
      return c.rules.some((rule) => /deny/i.test(rule) && /research/i.test(rule)) || `rules: ${JSON.stringify(c.rules)}`;
    });
  }
}

const isMain = (() => {
  try { return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url)); } catch { return true; }
})();
if (isMain) {
  main()
    .catch((e) => { report(false, 'unexpected error', e?.stack ?? e); })
    .finally(() => {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed === 0 && passed > 0 ? 0 : 1);
    });
}
