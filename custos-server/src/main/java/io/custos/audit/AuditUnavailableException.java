package io.custos.audit;

/** The audit trail could not durably record an event. Tool calls fail closed when this is thrown. */
public final class AuditUnavailableException extends RuntimeException {
  public AuditUnavailableException(Throwable cause) {
    super("audit trail unavailable", cause);
  }
}
