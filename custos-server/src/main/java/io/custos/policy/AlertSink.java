package io.custos.policy;

/**
 * Where security alerts go (breach readiness, 45 CFR 164.400-414). Alerts are PHI-free: a kind, the workforce user
 * and the audit ledger event they refer to, never patient data.
 */
public interface AlertSink {
  /**
   * One alert.
   *
   * @param kind    short alert kind, e.g. {@code break-the-glass}
   * @param subject the user ({@code sub}) whose action raised it
   * @param eventId id of the audit event it refers to ({@code custos audit} finds it in the ledger)
   * @param callId  the call's correlation id (its INTENT and RESULT events share it)
   */
  record Alert(String kind, String subject, String eventId, String callId) {}

  void alert(Alert alert);
}
