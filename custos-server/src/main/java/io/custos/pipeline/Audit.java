package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit stages (HIPAA 164.312(b)). {@link #intent()} wraps the rest of a route: the intent event is durable
 * (write-ahead) before any PHI is touched, or the call is refused (fail closed); after the rest of the route it writes
 * the result event, and a result that cannot be audited is not released. {@link #refuse} turns any refusal or
 * failure into its one event: {@code DENIED} before the intent, a {@code RESULT} with the reason after it. So every
 * call yields INTENT + RESULT or one DENIED, on every route.
 */
final class Audit {
  private static final Logger log = LoggerFactory.getLogger(Audit.class);

  private final AuditRecorder recorder;

  Audit(AuditRecorder recorder) {
    this.recorder = recorder;
  }

  /** The audit-intent stage; it also writes the result. */
  Stage intent() {
    return new Stage() {
      @Override
      public StageName name() {
        return StageName.AUDIT_INTENT;
      }

      @Override
      public ToolOutcome intercept(ToolExchange ex, Chain next) {
        try {
          recorder.record(ex, AuditEvent.Phase.INTENT, "intent");
        } catch (AuditUnavailableException e) {
          throw new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE,
              "The audit trail is unavailable, so no clinical data can be accessed.");
        }
        ex.intentRecorded = true;
        ToolOutcome outcome = next.proceed(ex);
        ex.passed.add(StageName.AUDIT_RESULT);
        try {
          ex.resultEventId = recorder.record(ex, AuditEvent.Phase.RESULT, ex.completion.code());
        } catch (AuditUnavailableException e) {
          throw new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE,
              "The audit trail is unavailable, so the result cannot be released.");
        }
        return outcome;
      }
    };
  }

  /** Records the refusal of {@code ex} and returns its outcome; never throws. */
  ToolOutcome refuse(ToolExchange ex, ToolCallException e) {
    try {
      recorder.record(ex, ex.intentRecorded ? AuditEvent.Phase.RESULT : AuditEvent.Phase.DENIED, e.reason().code());
    } catch (AuditUnavailableException auditDown) {
      log.error("call {} refused ({}) and its audit event could not be written", ex.callId, e.reason().code());
    }
    return ToolOutcome.failure(e);
  }
}
