package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;

/**
 * Stage 3, audit intent: the intent event is durable before any PHI is touched (write-ahead). If it
 * cannot be written the call is refused (fail closed).
 */
final class AuditIntent implements Stage {
  private final AuditRecorder recorder;

  AuditIntent(AuditRecorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void apply(ToolExchange ex) {
    try {
      recorder.record(ex, AuditEvent.Phase.INTENT, "intent");
      ex.intentRecorded = true;
    } catch (AuditUnavailableException e) {
      throw new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE,
          "The audit trail is unavailable, so no clinical data can be accessed.");
    }
  }
}
