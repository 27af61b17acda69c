package io.custos.pipeline;

import io.custos.fhir.UpstreamException;
import java.util.Optional;

/**
 * A call refused or failed at some stage, on any route. The message is a short, PHI-free sentence that never
 * repeats a request value; it is shown to the caller, and the {@link Reason} is the audit outcome.
 */
public final class ToolCallException extends RuntimeException {

  /** Why a call did not succeed, on every route; {@link #code()} is what audit events and clients see. */
  public enum Reason {
    UNAUTHENTICATED("unauthenticated"),
    FORBIDDEN("forbidden"),
    INSUFFICIENT_SCOPE("insufficient_scope"),
    MFA_REQUIRED("insufficient_user_authentication"),
    NO_CARE_RELATIONSHIP("no_care_relationship"),
    /** The patient's Consent (FHIR R4 Consent) does not permit this caller, purpose or record. */
    CONSENT("consent"),
    RATE_LIMITED("rate_limited"),
    UNKNOWN_TOOL("unknown_tool"),
    INVALID_ARGUMENTS("invalid_arguments"),
    NOT_FOUND("not_found"),
    READ_ONLY("read_only_mode"),
    PROPOSAL_NOT_FOUND("proposal_not_found"),
    WRONG_USER("wrong_user"),
    SELF_APPROVAL("self_approval"),
    WRONG_ROLE("wrong_role"),
    PROPOSAL_MISMATCH("proposal_mismatch"),
    PAYLOAD_MISMATCH("payload_mismatch"),
    NOT_APPROVED("not_approved"),
    EXPIRED("expired"),
    REPLAYED("already_used"),
    /** A multi-round-trip request state that this server did not seal for this caller, tool and arguments. */
    REQUEST_STATE_INVALID("invalid_request_state"),
    REJECTED("rejected"),
    SLOT_TAKEN("slot_taken"),
    CONFLICT("conflict"),
    UPSTREAM_DENIED("upstream_denied"),
    UPSTREAM_UNAVAILABLE("upstream_unavailable"),
    UPSTREAM_INVALID("upstream_invalid_response"),
    AUDIT_UNAVAILABLE("audit_unavailable"),
    /** The shared state store (for example its PostgreSQL database) cannot be reached; nothing was done, retry. */
    STATE_UNAVAILABLE("state_unavailable"),
    INTERNAL("internal_error");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Reason reason;
  private final Optional<Long> retryAfterSeconds;

  public ToolCallException(Reason reason, String publicMessage) {
    this(reason, publicMessage, Optional.empty());
  }

  private ToolCallException(Reason reason, String publicMessage, Optional<Long> retryAfterSeconds) {
    super(publicMessage, null, false, false);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The shared state store cannot be reached: nothing was done, and the client may retry. */
  public static ToolCallException stateUnavailable() {
    return new ToolCallException(Reason.STATE_UNAVAILABLE, "Server state is temporarily unavailable; nothing was done. Try again shortly.");
  }

  /** A rate-limit refusal; {@code retryAfterSeconds} (at least 1) becomes HTTP {@code Retry-After}. */
  public static ToolCallException rateLimited(long retryAfterSeconds) {
    return new ToolCallException(Reason.RATE_LIMITED, "Rate limit exceeded; try again later.", Optional.of(retryAfterSeconds));
  }

  /** The distinct, PHI-free error for an upstream failure (never the upstream's body). */
  public static ToolCallException fromUpstream(UpstreamException e) {
    return switch (e.kind()) {
      case NOT_FOUND -> new ToolCallException(Reason.NOT_FOUND, e.kind().publicMessage());
      case DENIED -> new ToolCallException(Reason.UPSTREAM_DENIED, e.kind().publicMessage());
      case UNAVAILABLE -> new ToolCallException(Reason.UPSTREAM_UNAVAILABLE, e.kind().publicMessage());
      case INVALID_RESPONSE -> e.status() == 409 || e.status() == 412
          ? new ToolCallException(Reason.CONFLICT, "The record changed meanwhile; nothing was written.")
          : new ToolCallException(Reason.UPSTREAM_INVALID, e.kind().publicMessage());
    };
  }

  /** Shorthand for {@link Reason#INVALID_ARGUMENTS}. */
  public static ToolCallException invalid(String publicMessage) {
    return new ToolCallException(Reason.INVALID_ARGUMENTS, publicMessage);
  }

  public Reason reason() {
    return reason;
  }

  public Optional<Long> retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
