#!/usr/bin/env node
// End-to-end check of Custos's human-approved write tools with the official TypeScript MCP SDK client.
//
//   node write-check.mjs
//
// Env (set by custos-server/src/test/java/io/custos/e2e/WritesIT.java):
//   CUSTOS_ENDPOINT            Streamable HTTP URL of /mcp (proposal lifetime: default)
//   CUSTOS_SHORT_TTL_ENDPOINT  a second Custos whose proposals expire after CUSTOS_SHORT_TTL_SECONDS
//   CUSTOS_CA_CERT             PEM file(s) to trust (re-exec with NODE_EXTRA_CA_CERTS)
//   CUSTOS_TOKENS              JSON {agent, human, human_no_mfa, human_wrong_role, other_agent, other_human,
//                              front_desk_agent, billing_agent}: bearer tokens. agent and human are the same user
//                              (alice) with different OAuth clients (the agent's, and the clinician's approval app).
//   FHIR_BASE                  the embedded FHIR store (plain http, loopback)
//   CUSTOS_PATIENT, CUSTOS_PRACTITIONER, CUSTOS_CONDITION, CUSTOS_DATE_FROM, CUSTOS_DATE_TO
//
// Output: "ok N - ..." / "not ok N - ... # why" per check, then "N passed, M failed". Exit 0 only if all passed.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

if (process.env.CUSTOS_CA_CERT && process.env.NODE_EXTRA_CA_CERTS !== process.env.CUSTOS_CA_CERT && !process.env.__CUSTOS_REEXEC) {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: process.env.CUSTOS_CA_CERT, __CUSTOS_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

let passed = 0;
let failed = 0;
let seq = 0;
function report(ok, name, detail) {
  seq += 1;
  if (ok) passed += 1; else failed += 1;
  const d = detail && !ok ? ` # ${String(detail).replace(/\s+/g, ' ').slice(0, 500)}` : '';
  console.log(`${ok ? 'ok' : 'not ok'} ${seq} - ${name}${d}`);
}
async function check(name, fn) {
  try {
    const r = await fn();
    if (r === undefined || r === true) report(true, name);
    else report(false, name, typeof r === 'string' ? r : JSON.stringify(r));
  } catch (e) {
    report(false, name, `threw: ${e?.stack ?? e}`);
  }
}
function fail(msg) { throw new Error(msg); }
function expect(cond, msg) { if (!cond) fail(msg); }

const ENDPOINT = process.env.CUSTOS_ENDPOINT;
const SHORT_ENDPOINT = process.env.CUSTOS_SHORT_TTL_ENDPOINT;
const SHORT_TTL = Number(process.env.CUSTOS_SHORT_TTL_SECONDS ?? 4);
const TOKENS = JSON.parse(process.env.CUSTOS_TOKENS);
const FHIR = process.env.FHIR_BASE.replace(/\/+$/, '');
// A server may answer a repeated search from a cache of earlier results (HAPI FHIR JPA: 60 s); ask for fresh ones.
const FHIR_HEADERS = { Accept: 'application/fhir+json', 'Cache-Control': 'no-cache' };
const PID = process.env.CUSTOS_PATIENT;
const PRACTITIONER = process.env.CUSTOS_PRACTITIONER;
const CONDITION = process.env.CUSTOS_CONDITION;
const DATE_FROM = process.env.CUSTOS_DATE_FROM;
const DATE_TO = process.env.CUSTOS_DATE_TO;
const OPTS = { timeout: 60000 };

const WRITE_TOOLS = ['draft_clinical_note', 'book_appointment', 'send_patient_message', 'submit_prior_authorization', 'sync_intake_form'];

/** Connects a client; with onElicit, the client declares form elicitation and answers with it. */
async function connect(token, endpoint = ENDPOINT, onElicit = null) {
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'custos-write-check', version: '0.1.0' },
    { capabilities: onElicit ? { elicitation: { form: {} } } : {} });
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req.params));
  await client.connect(transport, OPTS);
  return client;
}

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, OPTS);
  const text = (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  return { isError: !!r.isError, sc: r.structuredContent, text };
}
function ok(r, what) {
  if (r.isError) fail(`${what}: error: ${r.text}`);
  return r.sc;
}
function refused(r, code, what) {
  if (!r.isError) fail(`${what}: expected error ${code}, got ${JSON.stringify(r.sc).slice(0, 300)}`);
  if (!r.text.includes(`[${code}]`)) fail(`${what}: expected [${code}], got ${r.text}`);
}

async function approval(url, token, decision, sha) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = decision
    ? { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ decision, payload_sha256: sha }).toString() }
    : { headers };
  const res = await fetch(url, init);
  const body = await res.text();
  let json = null;
  try { json = JSON.parse(body); } catch { /* html */ }
  return { status: res.status, json, body, headers: res.headers };
}

async function fhirCount(type, params) {
  const res = await fetch(`${FHIR}/${type}?${new URLSearchParams({ ...params, _count: '1', _summary: 'count' })}`, {
    headers: FHIR_HEADERS });
  const b = await res.json();
  return b.total;
}
async function fhirRead(type, id) {
  const res = await fetch(`${FHIR}/${type}/${id}`, { headers: FHIR_HEADERS });
  if (!res.ok) fail(`FHIR read ${type}/${id}: HTTP ${res.status}`);
  return res.json();
}

let nonce = 0;
/** Arguments for each tool; each call gets distinct text so proposals differ. */
function argsFor(tool) {
  nonce += 1;
  switch (tool) {
    case 'draft_clinical_note':
      return { patient_id: PID, title: `E2E note ${nonce}`, text: `Seen today (${nonce}). Stable; continue plan. Review in 3 months.` };
    case 'book_appointment':
      return { patient_id: PID, practitioner_id: PRACTITIONER, date_from: DATE_FROM, date_to: DATE_TO, description: `E2E visit ${nonce}` };
    case 'send_patient_message':
      return { patient_id: PID, subject: `E2E message ${nonce}`, text: `Your lab results are normal (${nonce}).`, category: 'notification' };
    case 'submit_prior_authorization':
      return { patient_id: PID, service_code: '72148', service_display: `MRI lumbar spine ${nonce}`, diagnosis_condition_ids: [CONDITION] };
    case 'sync_intake_form':
      return { patient_id: PID, answers: [{ link_id: 'phone', question: 'Phone', answer: `555-01${String(nonce).padStart(2, '0')}` },
        { link_id: 'reason', question: 'Reason for visit', answer: `Back pain ${nonce}` }] };
    default: fail(`no args for ${tool}`);
  }
}
const TYPE = { draft_clinical_note: 'DocumentReference', book_appointment: 'Appointment', send_patient_message: 'Communication',
  submit_prior_authorization: 'Claim', sync_intake_form: 'QuestionnaireResponse' };

/** Checks a committed result and that the resource is in the FHIR store carrying the proposal identifier. */
async function verifyWritten(sc, tool) {
  expect(sc.status === 'committed', `status ${sc.status}`);
  expect(sc.written?.resource_type === TYPE[tool], `written ${JSON.stringify(sc.written)}`);
  expect(sc.written.created === true && sc.written.version === '1', `written ${JSON.stringify(sc.written)}`);
  const r = await fhirRead(TYPE[tool], sc.written.id);
  const ids = Array.isArray(r.identifier) ? r.identifier : [r.identifier];
  expect(ids.some((i) => i?.system === 'urn:custos:proposal' && i.value === sc.proposal_id), 'proposal identifier missing in store');
  return r;
}

async function readBack(client, tool, sc, args) {
  if (tool === 'draft_clinical_note') {
    const notes = ok(await call(client, 'get_clinical_notes', { patient_id: PID, limit: 5 }), 'get_clinical_notes');
    const n = notes.items.find((i) => i.id === sc.written.id);
    expect(n, 'get_clinical_notes does not list the draft');
    expect(n.status === 'current' && String(n.text).includes(args.text), `note ${JSON.stringify(n).slice(0, 300)}`);
  } else if (tool === 'book_appointment') {
    const appts = ok(await call(client, 'list_appointments', { patient_id: PID, date_from: DATE_FROM, date_to: DATE_TO, limit: 50 }), 'list_appointments');
    const a = appts.items.find((i) => i.id === sc.written.id);
    expect(a && a.status === 'booked', `list_appointments does not show the booking: ${JSON.stringify(appts.items).slice(0, 300)}`);
    const slot = await fhirRead('Slot', sc.details.slot_id);
    expect(slot.status === 'busy', `slot ${slot.status}`);
  } else if (tool === 'submit_prior_authorization') {
    const st = ok(await call(client, 'get_prior_authorization_status', { patient_id: PID, claim_id: sc.written.id }), 'status');
    expect(st.claim.use === 'preauthorization' && st.authorization_status.startsWith('pending'), JSON.stringify(st));
  } else if (tool === 'sync_intake_form') {
    const changes = sc.details?.proposed_demographic_changes ?? [];
    expect(changes.some((c) => c.field === 'phone' && c.applied === false), `changes ${JSON.stringify(changes)}`);
    const p = await fhirRead('Patient', PID);
    expect(!(p.telecom ?? []).some((t) => t.value === args.answers[0].answer), 'phone change was applied to Patient');
  }
}

async function main() {
  // ---------------------------------------------------------------------------------- tools/list
  const agent = await connect(TOKENS.agent);
  await check('tools/list: a clinician with write scopes sees the write tools with write annotations', async () => {
    const { tools } = await agent.listTools({}, OPTS);
    for (const name of WRITE_TOOLS) {
      const t = tools.find((x) => x.name === name);
      expect(t, `${name} missing`);
      expect(t.annotations?.readOnlyHint === false, `${name} readOnlyHint`);
      expect(t.inputSchema.additionalProperties === false, `${name} additionalProperties`);
      expect(typeof t.annotations?.destructiveHint === 'boolean' && typeof t.annotations?.idempotentHint === 'boolean', `${name} hints`);
    }
    expect(tools.find((x) => x.name === 'book_appointment').annotations.destructiveHint === true, 'book_appointment destructive');
    expect(tools.find((x) => x.name === 'draft_clinical_note').annotations.destructiveHint === false, 'note not destructive');
    expect(tools.some((x) => x.name === 'get_prior_authorization_status'), 'status tool');
  });
  await check('tools/list: front desk sees book_appointment but no other write tool', async () => {
    const fd = await connect(TOKENS.front_desk_agent);
    const { tools } = await fd.listTools({}, OPTS);
    await fd.close();
    const names = tools.map((t) => t.name);
    expect(names.includes('book_appointment'), 'book_appointment hidden');
    expect(!names.some((n) => WRITE_TOOLS.includes(n) && n !== 'book_appointment'), `front desk sees ${names}`);
  });

  // ---------------------------------------------------------------------------------- elicitation
  const elicited = [];
  let answer = 'approve';
  const elicitingAgent = await connect(TOKENS.agent, ENDPOINT, async (params) => {
    elicited.push(params);
    if (answer === 'decline') return { action: 'decline' };
    return { action: 'accept', content: { decision: answer } };
  });
  for (const tool of WRITE_TOOLS) {
    await check(`elicitation: ${tool} propose -> user approves in the dialog -> committed and read back`, async () => {
      const args = argsFor(tool);
      const before = elicited.length;
      const sc = ok(await call(elicitingAgent, tool, args), tool);
      expect(elicited.length === before + 1, 'no elicitation request');
      const e = elicited[elicited.length - 1];
      expect((e.mode ?? 'form') === 'form', `mode ${e.mode}`);
      expect(e.message.includes(sc.payload_sha256), 'the dialog did not show the payload SHA-256');
      expect(e.message.includes(sc.proposal_id), 'the dialog did not show the proposal id');
      await verifyWritten(sc, tool);
      await readBack(elicitingAgent, tool, sc, args);
    });
  }
  await check('elicitation: the user declines -> rejected, nothing written', async () => {
    answer = 'decline';
    const before = await fhirCount('Communication', { patient: PID });
    const sc = ok(await call(elicitingAgent, 'send_patient_message', argsFor('send_patient_message')), 'decline');
    answer = 'approve';
    expect(sc.status === 'rejected', `status ${sc.status}`);
    expect(await fhirCount('Communication', { patient: PID }) === before, 'a Communication was written');
  });
  await check('elicitation: the user chooses reject -> rejected, nothing written', async () => {
    answer = 'reject';
    const before = await fhirCount('DocumentReference', { patient: PID });
    const sc = ok(await call(elicitingAgent, 'draft_clinical_note', argsFor('draft_clinical_note')), 'reject');
    answer = 'approve';
    expect(sc.status === 'rejected', `status ${sc.status}`);
    expect(await fhirCount('DocumentReference', { patient: PID }) === before, 'a note was written');
  });
  await elicitingAgent.close();

  // ---------------------------------------------------------------------------------- approval endpoint
  for (const tool of WRITE_TOOLS) {
    await check(`approval endpoint: ${tool} propose -> human approves with own token -> commit -> read back`, async () => {
      const args = argsFor(tool);
      const before = await fhirCount(TYPE[tool], { patient: PID });
      const p = ok(await call(agent, tool, args), 'propose');
      expect(p.status === 'pending_approval' && /^p-/.test(p.proposal_id) && /^[0-9a-f]{64}$/.test(p.payload_sha256), JSON.stringify(p));
      expect(p.approval?.url?.endsWith(`/approvals/${p.proposal_id}`), `approval url ${JSON.stringify(p.approval)}`);
      expect(await fhirCount(TYPE[tool], { patient: PID }) === before, 'proposing wrote something');
      const page = await approval(p.approval.url, TOKENS.human);
      expect(page.status === 200 && page.json.payload_sha256 === p.payload_sha256 && page.json.state === 'pending', JSON.stringify(page.json));
      expect(page.json.preview === p.preview, 'approval page preview differs from the proposal preview');
      const decided = await approval(p.approval.url, TOKENS.human, 'approve', p.payload_sha256);
      expect(decided.status === 200 && decided.json.state === 'approved', `${decided.status} ${decided.body}`);
      const sc = ok(await call(agent, tool, { ...args, proposal_id: p.proposal_id }), 'commit');
      await verifyWritten(sc, tool);
      expect(await fhirCount(TYPE[tool], { patient: PID }) === before + 1, 'not exactly one resource written');
      await readBack(agent, tool, sc, args);
    });
  }
  await check('approval endpoint: HTML page for the clinician (no-store, CSP, preview escaped, form with the digest)', async () => {
    const p = ok(await call(agent, 'draft_clinical_note', { ...argsFor('draft_clinical_note'), text: '<script>alert(1)</script> note' }), 'propose');
    const res = await fetch(p.approval.url, { headers: { Authorization: `Bearer ${TOKENS.human}` } });
    const html = await res.text();
    expect(res.status === 200 && res.headers.get('content-type').startsWith('text/html'), `status ${res.status}`);
    expect(res.headers.get('cache-control') === 'no-store' && res.headers.get('content-security-policy')?.includes("default-src 'none'"), 'headers');
    expect(!html.includes('<script>') && html.includes('&lt;script&gt;'), 'preview not escaped');
    expect(html.includes(p.payload_sha256) && html.includes('name="decision" value="approve"'), 'form');
  });

  // ---------------------------------------------------------------------------------- refusals
  const note = argsFor('draft_clinical_note');
  const proposal = ok(await call(agent, 'draft_clinical_note', note), 'propose for refusals');
  const url = proposal.approval.url;
  await check('refusal: self-approval with the agent\'s own token (same client_id) -> 403 self_approval', async () => {
    const r = await approval(url, TOKENS.agent, 'approve', proposal.payload_sha256);
    expect(r.status === 403 && r.json.error === 'self_approval', `${r.status} ${r.body}`);
    const v = await approval(url, TOKENS.agent);
    expect(v.status === 403, `GET ${v.status}`);
  });
  await check('refusal: no token / invalid token on the approval endpoint -> 401', async () => {
    const a = await approval(url, null, 'approve', proposal.payload_sha256);
    const b = await approval(url, 'not-a-token', 'approve', proposal.payload_sha256);
    expect(a.status === 401 && b.status === 401, `${a.status} ${b.status}`);
  });
  await check('refusal: approval without MFA evidence -> 401 insufficient_user_authentication', async () => {
    const r = await approval(url, TOKENS.human_no_mfa, 'approve', proposal.payload_sha256);
    expect(r.status === 401 && r.json.error === 'insufficient_user_authentication', `${r.status} ${r.body}`);
  });
  await check('refusal: wrong user approves -> 403 wrong_user', async () => {
    const r = await approval(url, TOKENS.other_human, 'approve', proposal.payload_sha256);
    expect(r.status === 403 && r.json.error === 'wrong_user', `${r.status} ${r.body}`);
  });
  await check('refusal: approver whose role may not use the tool -> 403 wrong_role', async () => {
    const r = await approval(url, TOKENS.human_wrong_role, 'approve', proposal.payload_sha256);
    expect(r.status === 403 && r.json.error === 'wrong_role', `${r.status} ${r.body}`);
  });
  await check('refusal: approving a different payload digest than the proposal\'s -> 409 payload_mismatch', async () => {
    const r = await approval(url, TOKENS.human, 'approve', '0'.repeat(64));
    expect(r.status === 409 && r.json.error === 'payload_mismatch', `${r.status} ${r.body}`);
  });
  await check('refusal: commit before any approval -> not_approved, nothing written', async () => {
    refused(await call(agent, 'draft_clinical_note', { ...note, proposal_id: proposal.proposal_id }), 'not_approved', 'commit');
  });
  await check('the human approves (after all the refused attempts)', async () => {
    const r = await approval(url, TOKENS.human, 'approve', proposal.payload_sha256);
    expect(r.status === 200 && r.json.state === 'approved', `${r.status} ${r.body}`);
  });
  await check('refusal: payload swapped after approval (different text under the approved proposal) -> payload_mismatch', async () => {
    const before = await fhirCount('DocumentReference', { patient: PID });
    refused(await call(agent, 'draft_clinical_note', { ...note, text: 'Start high-dose opioids.', proposal_id: proposal.proposal_id }),
      'payload_mismatch', 'swapped');
    refused(await call(agent, 'draft_clinical_note', { ...note, patient_id: PID, title: 'Other', proposal_id: proposal.proposal_id }),
      'payload_mismatch', 'swapped title');
    expect(await fhirCount('DocumentReference', { patient: PID }) === before, 'something was written');
  });
  await check('refusal: wrong user commits the approved proposal -> wrong_user', async () => {
    const other = await connect(TOKENS.other_agent);
    refused(await call(other, 'draft_clinical_note', { ...note, proposal_id: proposal.proposal_id }), 'wrong_user', 'commit');
    await other.close();
  });
  await check('the agent commits the exact approved payload', async () => {
    const sc = ok(await call(agent, 'draft_clinical_note', { ...note, proposal_id: proposal.proposal_id }), 'commit');
    await verifyWritten(sc, 'draft_clinical_note');
  });
  await check('refusal: replayed commit -> already_used, nothing new written', async () => {
    const before = await fhirCount('DocumentReference', { patient: PID });
    refused(await call(agent, 'draft_clinical_note', { ...note, proposal_id: proposal.proposal_id }), 'already_used', 'replay');
    expect(await fhirCount('DocumentReference', { patient: PID }) === before, 'replay wrote something');
  });
  await check('refusal: replayed approval -> 409 already_used', async () => {
    const r = await approval(url, TOKENS.human, 'approve', proposal.payload_sha256);
    expect(r.status === 409 && r.json.error === 'already_used', `${r.status} ${r.body}`);
  });
  await check('refusal: wrong role (front desk) proposes a clinical note -> forbidden', async () => {
    const fd = await connect(TOKENS.front_desk_agent);
    refused(await call(fd, 'draft_clinical_note', argsFor('draft_clinical_note')), 'forbidden', 'front desk note');
    await fd.close();
  });
  await check('refusal: wrong role (billing) sends a patient message -> forbidden; billing may submit prior authorization', async () => {
    const b = await connect(TOKENS.billing_agent);
    refused(await call(b, 'send_patient_message', argsFor('send_patient_message')), 'forbidden', 'billing message');
    const p = ok(await call(b, 'submit_prior_authorization', argsFor('submit_prior_authorization')), 'billing PA');
    expect(p.status === 'pending_approval', p.status);
    await b.close();
  });
  await check('refusal: a taken slot -> slot_taken with a clear message', async () => {
    const busy = await fetch(`${FHIR}/Slot?${new URLSearchParams({ status: 'busy', _count: '1' })}`, { headers: FHIR_HEADERS })
      .then((r) => r.json());
    const slot = busy.entry?.[0]?.resource;
    expect(slot, 'no busy slot in the store');
    const schedule = await fhirRead('Schedule', slot.schedule.reference.split('/')[1]);
    const practitioner = schedule.actor.find((a) => a.reference.startsWith('Practitioner/')).reference.split('/')[1];
    const r = await call(agent, 'book_appointment', { patient_id: PID, practitioner_id: practitioner, date_from: DATE_FROM,
      date_to: DATE_TO, slot_id: slot.id });
    refused(r, 'slot_taken', 'taken slot');
    expect(/taken/i.test(r.text), r.text);
  });
  await check('status tracking: a payer ClaimResponse appears in get_prior_authorization_status', async () => {
    const args = argsFor('submit_prior_authorization');
    const p = ok(await call(agent, 'submit_prior_authorization', args), 'propose');
    await approval(p.approval.url, TOKENS.human, 'approve', p.payload_sha256);
    const sc = ok(await call(agent, 'submit_prior_authorization', { ...args, proposal_id: p.proposal_id }), 'commit');
    // the payer answers (simulated: a ClaimResponse created in the FHIR store)
    const res = await fetch(`${FHIR}/ClaimResponse`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'ClaimResponse', status: 'active', type: { coding: [{ code: 'professional' }] },
        use: 'preauthorization', patient: { reference: `Patient/${PID}` }, created: new Date().toISOString(),
        insurer: { display: 'Payer' }, request: { reference: `Claim/${sc.written.id}` }, outcome: 'complete',
        disposition: 'Approved', preAuthRef: 'PA-E2E-1' }) });
    expect(res.status === 201, `ClaimResponse create: HTTP ${res.status}`);
    const st = ok(await call(agent, 'get_prior_authorization_status', { patient_id: PID, claim_id: sc.written.id }), 'status');
    expect(st.authorization_status === 'complete' && st.responses[0].pre_auth_ref === 'PA-E2E-1', JSON.stringify(st));
  });
  await agent.close();

  // ---------------------------------------------------------------------------------- expiry
  await check(`refusal: expired proposal (lifetime ${SHORT_TTL}s) can be neither approved nor committed`, async () => {
    const a = await connect(TOKENS.agent, SHORT_ENDPOINT);
    const args1 = argsFor('send_patient_message');
    const p1 = ok(await call(a, 'send_patient_message', args1), 'propose 1');
    const args2 = argsFor('send_patient_message');
    const p2 = ok(await call(a, 'send_patient_message', args2), 'propose 2');
    const ok2 = await approval(p2.approval.url, TOKENS.human, 'approve', p2.payload_sha256);
    expect(ok2.status === 200, `approve in time: ${ok2.status} ${ok2.body}`);
    await new Promise((r) => setTimeout(r, (SHORT_TTL + 1) * 1000));
    const late = await approval(p1.approval.url, TOKENS.human, 'approve', p1.payload_sha256);
    expect(late.status === 410 && late.json.error === 'expired', `${late.status} ${late.body}`);
    refused(await call(a, 'send_patient_message', { ...args2, proposal_id: p2.proposal_id }), 'expired', 'commit after expiry');
    await a.close();
  });
}

main().catch((e) => report(false, 'write-check crashed', e?.stack ?? e)).finally(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
});
