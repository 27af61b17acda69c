package io.custos.writes;

import java.time.Instant;
import java.util.Map;

/**
 * A proposed write (phase one of the two-phase commit): nothing has been written. It is bound to the SHA-256 of
 * the exact canonical payload, to the user who proposed it, to the patient and to an expiry.
 *
 * @param id              random, unguessable proposal id (also the idempotency key of the commit and the
 *                        {@code callId} of every audit event about the proposal)
 * @param tool            write tool name
 * @param subject         {@code sub} of the proposing user; only this user may approve and commit
 * @param clientId        OAuth client that proposed (the agent's client); it may not approve out of band
 * @param patientId       the patient the write is about
 * @param resourceType    FHIR R4 resource type to be created
 * @param argumentsSha256 SHA-256 of the canonical tool arguments (without {@code proposal_id}): a commit must
 *                        present the same arguments
 * @param payloadJson     canonical JSON of the payload: {@code {tool, patient_id, resource, bindings}}, where
 *                        {@code resource} is the exact FHIR resource that will be written
 * @param payloadSha256   SHA-256 of {@code payloadJson}, shown to the human who approves
 * @param preview         human-readable preview of what will be written
 * @param details         extra structured facts for the result (e.g. demographic changes proposed, not applied)
 * @param createdAt       when proposed
 * @param expiresAt       after this instant the proposal can neither be approved nor committed
 */
public record Proposal(String id, String tool, String subject, String clientId, String patientId, String resourceType,
    String argumentsSha256, String payloadJson, String payloadSha256, String preview, Map<String, Object> details,
    Instant createdAt, Instant expiresAt) {

  public Proposal {
    details = details == null ? Map.of() : Map.copyOf(details);
  }

  /** Lifecycle of a proposal. */
  public enum State {
    /** Waiting for a human decision. */
    PENDING,
    /** A human approved this exact payload. */
    APPROVED,
    /** The commit is being written (a second commit is refused as a replay). */
    COMMITTING,
    /** Written; the proposal cannot be used again. */
    COMMITTED,
    /** A human rejected it. */
    REJECTED
  }

  /** How a human approved. */
  public enum Channel {
    /** MCP elicitation (form mode) answered by the user of the MCP client. */
    ELICITATION,
    /** The out-of-band approval endpoint, from a client other than the agent's. */
    APPROVAL_ENDPOINT
  }

  /**
   * A human decision.
   *
   * @param subject       who decided
   * @param clientId      from which client
   * @param channel       how
   * @param payloadSha256 the payload digest the human was shown and approved
   * @param at            when
   */
  public record Approval(String subject, String clientId, Channel channel, String payloadSha256, Instant at) {}
}
