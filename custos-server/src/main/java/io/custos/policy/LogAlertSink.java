package io.custos.policy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link AlertSink} that writes a WARN line to the {@code custos.alerts} logger: kind, user and ledger event only. */
public final class LogAlertSink implements AlertSink {
  private static final Logger log = LoggerFactory.getLogger("custos.alerts");

  // The subject comes from a validated token, but a claim may still hold control characters (CWE-117).
  @Override
  public void alert(Alert a) {
    log.warn("ALERT {} severity={} user={} evidence={} call={}", a.rule(), a.severity(),
        a.subject().replaceAll("[\\p{Cntrl}\\u2028\\u2029]", "?"), a.evidenceEventIds(), a.callId());
  }
}
