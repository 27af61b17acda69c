package io.custos.pipeline;

/**
 * A tool call refused or failed at some pipeline stage. The message is a short, PHI-free sentence that
 * is shown to the caller as a tool error and recorded in the audit trail as the reason code.
 */
public final class ToolCallException extends RuntimeException {

  /** Why a call did not succeed; {@link #code()} is what audit events and clients see. */
  public enum Reason {
    UNAUTHENTICATED("unauthenticated"),
    FORBIDDEN("forbidden"),
    INSUFFICIENT_SCOPE("insufficient_scope"),
    MFA_REQUIRED("insufficient_user_authentication"),
    NO_CARE_RELATIONSHIP("no_care_relationship"),
    RATE_LIMITED("rate_limited"),
    UNKNOWN_TOOL("unknown_tool"),
    INVALID_ARGUMENTS("invalid_arguments"),
    NOT_FOUND("not_found"),
    UPSTREAM_DENIED("upstream_denied"),
    UPSTREAM_UNAVAILABLE("upstream_unavailable"),
    UPSTREAM_INVALID("upstream_invalid_response"),
    AUDIT_UNAVAILABLE("audit_unavailable"),
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

  public ToolCallException(Reason reason, String publicMessage) {
    super(publicMessage, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
