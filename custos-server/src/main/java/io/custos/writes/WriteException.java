package io.custos.writes;

/**
 * A refused or failed write step. {@link #code()} is the PHI-free reason recorded in the audit trail and shown to
 * the caller with the message (a short sentence that never echoes argument values).
 */
public final class WriteException extends RuntimeException {
  private final String code;

  public WriteException(String code, String publicMessage) {
    super(publicMessage, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }

  // Reason codes (audit outcomes of refusals).
  public static final String FORBIDDEN = "forbidden";
  public static final String READ_ONLY = "read_only_mode";
  public static final String INSUFFICIENT_SCOPE = "insufficient_scope";
  public static final String MFA_REQUIRED = "insufficient_user_authentication";
  public static final String NO_CARE_RELATIONSHIP = "no_care_relationship";
  public static final String INVALID_ARGUMENTS = "invalid_arguments";
  public static final String NOT_FOUND = "not_found";
  public static final String PROPOSAL_NOT_FOUND = "proposal_not_found";
  public static final String WRONG_USER = "wrong_user";
  public static final String SELF_APPROVAL = "self_approval";
  public static final String WRONG_ROLE = "wrong_role";
  public static final String PROPOSAL_MISMATCH = "proposal_mismatch";
  public static final String PAYLOAD_MISMATCH = "payload_mismatch";
  public static final String NOT_APPROVED = "not_approved";
  public static final String EXPIRED = "expired";
  public static final String REPLAYED = "already_used";
  public static final String REJECTED = "rejected";
  public static final String SLOT_TAKEN = "slot_taken";
  public static final String CONFLICT = "conflict";
  public static final String UPSTREAM_DENIED = "upstream_denied";
  public static final String UPSTREAM_UNAVAILABLE = "upstream_unavailable";
  public static final String UPSTREAM_INVALID = "upstream_invalid_response";
  public static final String AUDIT_UNAVAILABLE = "audit_unavailable";
  public static final String INTERNAL = "internal_error";
}
