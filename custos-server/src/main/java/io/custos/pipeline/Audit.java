package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit stages (HIPAA 164.312(b)). {@link #intent()} wraps the rest of a route: the intent event is durable
 * (write-ahead) before the rest starts, or the call is refused (fail closed); after the rest of the route it writes
 * the result event, and a result that cannot be audited is not released. {@link #intentOverlapped()} lets a read
 * start while the intent's fsync is in flight and releases nothing before it is durable. {@link #refuse} turns any refusal or
 * failure into its one event: {@code DENIED} before the intent, a {@code RESULT} with the reason after it. So every
 * call yields INTENT + RESULT or one DENIED, on every route.
 */
final class Audit {
  private static final Logger log = LoggerFactory.getLogger(Audit.class);

  private final AuditRecorder recorder;

  Audit(AuditRecorder recorder) {
    this.recorder = recorder;
  }

  /** The audit-intent stage, strictly write-ahead: the intent is durable before the rest of the route starts. */
  Stage intent() {
    return stage(false);
  }

  /**
   * The audit-intent stage for routes that only read: the intent's fsync overlaps the rest of the route (validation,
   * the upstream read, filtering), and nothing (result or refusal) is released or audited until the intent is durable.
   * If it cannot be made durable the call is refused and the result withheld.
   */
  Stage intentOverlapped() {
    return stage(true);
  }

  private Stage stage(boolean overlapped) {
    return new Stage() {
      @Override
      public StageName name() {
        return StageName.AUDIT_INTENT;
      }

      @Override
      public ToolOutcome intercept(ToolExchange ex, Chain next) {
        AuditTrail.Pending intent;
        try {
          intent = recorder.recordAsync(ex, AuditEvent.Phase.INTENT, "intent");
          if (!overlapped) {
            intent.await();
          }
        } catch (AuditUnavailableException e) {
          throw unavailable("The audit trail is unavailable, so no clinical data can be accessed.");
        }
        ex.intentRecorded = true;
        ToolOutcome outcome;
        try {
          outcome = next.proceed(ex);
        } catch (RuntimeException e) {
          awaitIntent(intent); // a refusal is recorded after its intent
          throw e;
        }
        awaitIntent(intent);
        ex.passed.add(StageName.AUDIT_RESULT);
        try {
          ex.resultEventId = recorder.record(ex, AuditEvent.Phase.RESULT, ex.completion.code());
        } catch (AuditUnavailableException e) {
          throw unavailable("The audit trail is unavailable, so the result cannot be released.");
        }
        return outcome;
      }
    };
  }

  private static void awaitIntent(AuditTrail.Pending intent) {
    try {
      intent.await();
    } catch (AuditUnavailableException e) {
      throw unavailable("The audit trail is unavailable, so no clinical data can be released.");
    }
  }

  private static ToolCallException unavailable(String message) {
    return new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE, message);
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
