package io.custos.policy;

/**
 * Where security alerts go (breach readiness, 45 CFR 164.400-414). Alerts are PHI-free: a kind and an
 * event id to look up in the audit trail, never patient data.
 */
public interface AlertSink {
  /**
   * @param kind    short alert kind, e.g. {@code break-the-glass}
   * @param eventId the audit call id the alert refers to
   */
  void alert(String kind, String eventId);
}
