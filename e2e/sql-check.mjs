#!/usr/bin/env node
// The legacy SQL tools of a running `custos demo`, called with the official TypeScript MCP SDK client over Streamable
// HTTP, against the same patients' FHIR tools:
//
//   e2e/with-node.sh node e2e/sql-check.mjs [path/to/connection.json]   (default .custos-demo/connection.json)
//
// Checks: each SQL tool answers for a patient in the clinician's care; the active conditions' SNOMED CT codes and the
// active medications' RxNorm codes of get_active_conditions / get_medications appear in the legacy answers; a patient
// outside care (found in the demo's data) is refused by every SQL tool, sql_query included, with the FHIR tools'
// refusal; sql_query refuses a UNION naming its rule without repeating the query; the demo researcher sees only the
// de-identified SQL tool, is refused a base table by rule and gets counts with small cells suppressed. Output: one line per check, then "N passed, M failed"; exit 0 only if all passed.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const file = process.argv[2] ?? '.custos-demo/connection.json';
const conn = JSON.parse(readFileSync(file, 'utf8'));
if (process.env.NODE_EXTRA_CA_CERTS !== conn.ca_certificate) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: conn.ca_certificate },
  });
  process.exit(r.status ?? 1);
}

let passed = 0;
let failed = 0;
const check = (ok, what, why = '') => {
  if (ok) { passed++; console.log(`ok ${passed + failed} - ${what}`); } else { failed++; console.log(`not ok ${passed + failed} - ${what} # ${why}`); }
};

const client = new Client({ name: 'custos-sql-check', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(conn.endpoint), {
  requestInit: { headers: { Authorization: `Bearer ${conn.token}` } },
}));
const call = async (name, args) => client.callTool({ name, arguments: args });
const codes = (r, key) => new Set((r.structuredContent?.items ?? []).map((i) => (typeof i[key] === 'object' ? i[key]?.code : i[key])).filter(Boolean));

const tools = conn.sql?.tools ?? {};
check(tools.conditions && tools.medications && tools.labs, 'connection.json names the SQL tools', JSON.stringify(conn.sql));
const listed = new Set((await client.listTools()).tools.map((t) => t.name));
const clinicianTools = [tools.conditions, tools.medications, tools.labs, tools.query];
check(clinicianTools.every((t) => listed.has(t)), "tools/list shows the clinician's SQL tools");
check(!listed.has(tools.deidentified_query), "the researchers' de-identified SQL tool is not the clinician's");

// Every patient connection.json names that is in the clinician's care (the FHIR tool answers).
const pid = conn.patients[0];
let sqlMeds = new Set();
let inCare = 0;
for (const p of conn.patients) {
  const fhir = await call('get_active_conditions', { patient_id: p, limit: 50 });
  if (fhir.isError) {
    continue;
  }
  inCare++;
  const fhirConditions = codes(fhir, 'code');
  const sqlConditions = codes(await call(tools.conditions, { patient_id: p }), 'dx_cd');
  const missingDx = [...fhirConditions].filter((c) => !sqlConditions.has(c));
  check(fhirConditions.size > 0 && missingDx.length === 0, `${tools.conditions} ${p}: the ${fhirConditions.size} active SNOMED CT codes of FHIR are there`, missingDx.join(','));
  const fhirMeds = codes(await call('get_medications', { patient_id: p, limit: 50 }), 'medication');
  sqlMeds = codes(await call(tools.medications, { patient_id: p }), 'rx_cd');
  const missingRx = [...fhirMeds].filter((c) => !sqlMeds.has(c));
  check(missingRx.length === 0, `${tools.medications} ${p}: the ${fhirMeds.size} active RxNorm codes of FHIR are there`, missingRx.join(','));
  const labs = await call(tools.labs, { patient_id: p });
  check(!labs.isError && Array.isArray(labs.structuredContent?.items), `${tools.labs} ${p} answers`, labs.content?.[0]?.text);
}
check(inCare > 0, `${inCare} of the patients in connection.json are in the clinician's care`);
sqlMeds = codes(await call(tools.medications, { patient_id: pid }), 'rx_cd');

// A patient outside the clinician's care: the FHIR store's patients (bundle file names) that get_active_conditions refuses.
const synthea = join(dirname(file), 'synthea');
const all = readdirSync(synthea).filter((n) => /^[0-9a-f-]{36}\.json$/.test(n)).map((n) => n.slice(0, -5));
let outside = null;
let fhirRefusal = null;
for (const p of all) {
  const r = await call('get_active_conditions', { patient_id: p });
  if (r.isError && /no_care_relationship/.test(r.content?.[0]?.text ?? '')) { outside = p; fhirRefusal = r.content[0].text; break; }
}
check(outside !== null, 'a patient outside the clinician\'s care exists in the demo');
if (outside) {
  const query = tools.query ?? 'sql_query';
  for (const t of [tools.conditions, tools.medications, tools.labs, query]) {
    const r = await call(t, t === query ? { patient_id: outside, query: 'SELECT DX_CD FROM DX' } : { patient_id: outside });
    check(r.isError && r.content?.[0]?.text === fhirRefusal, `${t}: outside care, refused as on FHIR`, r.content?.[0]?.text);
  }
}
const q = 'SELECT DX_CD FROM DX UNION SELECT LAST_NM FROM PAT';
const refused = await call(tools.query ?? 'sql_query', { patient_id: pid, query: q });
const text = refused.content?.[0]?.text ?? '';
check(refused.isError && text.includes('rule no-set-operations') && !text.includes('LAST_NM'), 'sql_query refuses UNION by rule, no echo', text);
const ok = await call(tools.query ?? 'sql_query', { patient_id: pid, query: 'SELECT RX_CD, RX_DESC FROM RX WHERE STOP_DT IS NULL' });
check(!ok.isError && codes(ok, 'rx_cd').size === sqlMeds.size, 'sql_query answers within the compartment', ok.content?.[0]?.text);
await client.close();

// The demo researcher: SQL over the de-identified views only, counts computed by Custos with small cells suppressed.
if (tools.deidentified_query && conn.tokens?.researcher) {
  const researcher = new Client({ name: 'custos-sql-check-research', version: '1.0.0' });
  await researcher.connect(new StreamableHTTPClientTransport(new URL(conn.endpoint), {
    requestInit: { headers: { Authorization: `Bearer ${conn.tokens.researcher}` } },
  }));
  const names = new Set((await researcher.listTools()).tools.map((t) => t.name));
  check(names.has(tools.deidentified_query), "the researcher's tools/list shows the de-identified SQL tool");
  const base = await researcher.callTool({ name: tools.deidentified_query, arguments: { query: 'SELECT MRN FROM PAT' } });
  const baseText = base.content?.[0]?.text ?? '';
  check(base.isError && baseText.includes('rule deidentified-views-only') && !baseText.includes('MRN'),
    'a base table is refused to the researcher by rule, no echo', baseText);
  const counts = await researcher.callTool({ name: tools.deidentified_query,
    arguments: { query: 'SELECT DX_CD, COUNT(DISTINCT PID) AS patients FROM DX_DEID GROUP BY DX_CD' } });
  const groups = counts.structuredContent?.items ?? [];
  check(!counts.isError && (counts.structuredContent?.suppressed === true || groups.length > 0) && groups.every((g) => g.patients >= 11),
    'counts over a de-identified view: no group of 1 to 10 patients released', counts.content?.[0]?.text);
  await researcher.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
