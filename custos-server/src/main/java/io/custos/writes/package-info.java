/**
 * Human-approved write tools: clinical note drafts (FHIR R4 DocumentReference), appointment booking
 * (Slot, Appointment), patient messages (Communication), prior authorization (Claim use=preauthorization,
 * ClaimResponse) and intake forms (QuestionnaireResponse).
 *
 * <p>Every write is two-phase: a call proposes (the tool validates, builds the exact FHIR resource, and returns a
 * preview and a proposal id bound to the SHA-256 of the canonical payload, the user, the patient and an expiry;
 * nothing is written); a human approves (on the approval page of the HTTPS server, where the agent's own client cannot
 * approve, or by MCP elicitation when {@code policy.elicitationApproval} is on);
 * then the commit writes exactly the approved payload, once. Each step is a governed call on its own route
 * ({@link io.custos.writes.WriteStages}), audited with INTENT and RESULT.
 */
package io.custos.writes;
