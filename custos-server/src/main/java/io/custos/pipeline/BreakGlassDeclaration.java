package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;
import io.custos.policy.AccessControl;
import io.custos.policy.AlertSink;
import io.custos.policy.BreakGlass;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code break_the_glass} tool (HIPAA 164.312(a)(2)(ii) emergency access procedure): an authenticated
 * user with an allowed role, a fresh MFA sign-in and a stated reason gets time-boxed access to one patient
 * outside their care relationships. The declaration is audited (with the reason) and raises an alert;
 * every call made under it is audited with purpose of use {@code ETREAT}.
 */
public final class BreakGlassDeclaration {
  /** The user must have signed in with MFA at most this long ago. */
  static final Duration MAX_AUTH_AGE = Duration.ofMinutes(10);
  /** Reason length bounds, in characters. */
  static final int MIN_REASON = 20;
  static final int MAX_REASON = 500;

  private final AccessControl access;
  private final Authenticate authenticate;
  private final AuditRecorder audit;
  private final AlertSink alerts;
  private final Clock clock;

  BreakGlassDeclaration(AccessControl access, Authenticate authenticate, AuditRecorder audit, AlertSink alerts, Clock clock) {
    this.access = access;
    this.authenticate = authenticate;
    this.audit = audit;
    this.alerts = alerts;
    this.clock = clock;
  }

  /** Runs the declaration; never throws. */
  ToolOutcome declare(ToolCall call) {
    ToolExchange ex = new ToolExchange(call);
    try {
      authenticate.apply(ex);
      var caller = ex.caller;
      if (caller.roles().stream().noneMatch(access.breakGlassRoles()::contains)) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "Your role may not declare break-the-glass.");
      }
      boolean fresh = caller.authTime().map(t -> !t.isBefore(clock.instant().minus(MAX_AUTH_AGE))).orElse(false);
      if (!caller.mfa() || !fresh) {
        throw new ToolCallException(ToolCallException.Reason.MFA_REQUIRED,
            "Break-the-glass requires a multi-factor sign-in within the last " + MAX_AUTH_AGE.toMinutes() + " minutes.");
      }
      Object patient = call.arguments().get("patient_id");
      Object reason = call.arguments().get("reason");
      if (!(patient instanceof String p) || !p.matches("^[A-Za-z0-9\\-.]{1,64}$")) {
        throw new ToolCallException(ToolCallException.Reason.INVALID_ARGUMENTS, "patient_id is required (a FHIR id).");
      }
      if (!(reason instanceof String r) || r.strip().length() < MIN_REASON || r.length() > MAX_REASON) {
        throw new ToolCallException(ToolCallException.Reason.INVALID_ARGUMENTS,
            "reason is required: " + MIN_REASON + " to " + MAX_REASON + " characters stating the emergency.");
      }
      ex.patientId = p;
      ex.breakGlass = new BreakGlass.Grant(caller.subject(), p, r.strip(), clock.instant().plus(access.breakGlass().duration()));
      audit.record(ex, AuditEvent.Phase.RESULT, "break_the_glass_declared"); // durable before the grant takes effect
      BreakGlass.Grant grant = access.breakGlass().declare(caller.subject(), p, r.strip());
      alerts.alert("break-the-glass", ex.callId);
      Map<String, Object> out = Map.of("patient_id", p, "active_until", grant.expires().toString(),
          "notice", "Emergency access is active and every access is audited and reviewed.");
      return new ToolOutcome(out, "{\"patient_id\":\"" + p + "\",\"active_until\":\"" + grant.expires() + "\"}", null);
    } catch (ToolCallException e) {
      try {
        audit.record(ex, AuditEvent.Phase.DENIED, e.reason().code());
      } catch (AuditUnavailableException ignored) {
        // refused anyway
      }
      return ToolOutcome.failure(e);
    } catch (AuditUnavailableException e) {
      return ToolOutcome.failure(new ToolCallException(ToolCallException.Reason.AUDIT_UNAVAILABLE,
          "The audit trail is unavailable, so break-the-glass cannot be declared."));
    }
  }
}
