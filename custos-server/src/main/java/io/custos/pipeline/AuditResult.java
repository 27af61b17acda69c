package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;

/**
 * Stage 7, audit result: outcome, record count and the SHA-256 of the result (never the content). A
 * result that cannot be audited is not returned.
 */
final class AuditResult implements Stage {
  private final AuditRecorder recorder;

  AuditResult(AuditRecorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void apply(ToolExchange ex) {
    try {
      recorder.record(ex, AuditEvent.Phase.RESULT, "success");
    } catch (AuditUnavailableException e) {
      throw new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE,
          "The audit trail is unavailable, so the result cannot be released.");
    }
  }
}
