/**
 * Human-approved write tools: clinical note drafts (FHIR R4 DocumentReference), appointment booking
 * (Slot, Appointment), patient messages (Communication), prior authorization (Claim use=preauthorization,
 * ClaimResponse) and intake forms (QuestionnaireResponse).
 *
 * <p>Every write is two-phase: a call proposes (the tool validates, builds the exact FHIR resource, and returns a
 * preview and a proposal id bound to the SHA-256 of the canonical payload, the user, the patient and an expiry;
 * nothing is written); a human approves (MCP elicitation to the user, or the out-of-band approval page on the HTTP
 * server, where the agent's own client cannot approve); then the commit writes exactly the approved payload, once.
 * Every step is an audit event. See {@link io.custos.writes.WriteService}.
 */
package io.custos.writes;
