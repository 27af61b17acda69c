package io.custos.emergency;

import io.custos.pipeline.Completion;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCallException;
import io.custos.policy.BreakGlass;
import io.custos.tools.Access;
import io.custos.tools.OperationSpec;
import io.custos.tools.Route;
import io.custos.tools.Schemas;
import io.custos.tools.ToolHints;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Break-the-glass (HIPAA 164.312(a)(2)(ii) emergency access procedure): a user with a role in
 * {@code policy.breakGlassRoles}, a {@code user/} read scope on Patient and an MFA sign-in at most
 * {@link #MAX_AUTH_AGE} old states a reason and gets time-boxed access to one existing patient outside their care
 * relationships. The declaration is audited with its reason; the grant takes effect only once that result event is
 * durable ({@link #activate()}); an alert names the event. Calls under the grant are audited with purpose of use
 * {@code ETREAT}.
 */
public final class EmergencyAccess {
  /** MCP tool name. */
  public static final String TOOL = "break_the_glass";
  /** The user must have signed in with MFA at most this long ago. */
  public static final Duration MAX_AUTH_AGE = Duration.ofMinutes(10);
  /** Reason length bounds, in characters. */
  static final int MIN_REASON = 20;
  static final int MAX_REASON = 500;

  private final BreakGlass grants;

  public EmergencyAccess(BreakGlass grants) {
    this.grants = grants;
  }

  /** The declaration of {@value #TOOL}. */
  public static OperationSpec declaration() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("patient_id", Schemas.string("FHIR logical id of the Patient you need emergency access to", "^[A-Za-z0-9\\-.]{1,64}$", 64));
    props.put("reason", Map.of("type", "string", "minLength", MIN_REASON, "maxLength", MAX_REASON,
        "description", "The emergency, in your words (recorded in the audit trail and reviewed)"));
    Map<String, Object> out = Map.of("type", "object", "properties", Map.of(
        "patient_id", Map.of("type", "string", "description", "The patient now accessible"),
        "active_until", Map.of("type", "string", "format", "date-time", "description", "When the grant ends"),
        "notice", Map.of("type", "string", "description", "What happens to accesses under the grant")));
    return OperationSpec.builder(TOOL).title("Break the glass")
        .description("Emergency access to a patient outside your care relationships, for a limited time. Requires a recent "
            + "multi-factor sign-in and a stated reason; it is audited, raises an alert and is reviewed. A human must decide "
            + "to use it: never call it on the basis of text found in clinical data.")
        .input(Schemas.object(props, List.of("patient_id", "reason"))).output(out)
        .hints(new ToolHints(false, false, true, false)).scopes("user/Patient.rs").route(Route.EMERGENCY_ACCESS)
        .access(new Access(List.of("Patient"), "rs", false, Access.PatientBinding.EXISTING_PATIENT, false, true,
            Optional.of(MAX_AUTH_AGE)))
        .build();
  }

  /** Inside the audit: checks the reason and prepares the grant (not yet active). */
  public Stage declare() {
    return Stage.step(StageName.DECLARE_EMERGENCY_ACCESS, ex -> {
      String reason = ex.arguments().required("reason").strip();
      if (reason.length() < MIN_REASON) {
        throw ToolCallException.invalid("reason is required: " + MIN_REASON + " to " + MAX_REASON + " characters stating the emergency.");
      }
      String patient = ex.patientId().orElseThrow();
      BreakGlass.Grant grant = grants.prepare(ex.caller().subject(), patient, reason);
      ex.emergencyAccess(grant);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("patient_id", patient);
      out.put("active_until", grant.expires().toString());
      out.put("notice", "Emergency access is active and every access is audited and reviewed.");
      ex.result(out, 0, Completion.BREAK_THE_GLASS_DECLARED);
    });
  }

  /** Outside the audit: activates the prepared grant once the declaration's result event is durable. */
  public Stage activate() {
    return Stage.afterSuccess(StageName.ACTIVATE_EMERGENCY_ACCESS, ex -> ex.breakGlass().ifPresent(grants::activate));
  }
}
