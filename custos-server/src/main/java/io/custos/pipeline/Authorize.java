package io.custos.pipeline;

import io.custos.fhir.UpstreamException;
import io.custos.policy.AccessControl;
import io.custos.policy.ScopeCheck;
import java.util.Optional;

/**
 * Stage 2, authorize (deny unless allowed; HIPAA 164.312(a)). In order: the caller's role must list the
 * tool; a granted SMART scope must permit its resource type; the token must carry MFA evidence
 * (164.312(d)); then the one patient the call may read is bound. With a {@code patient/} scope the patient
 * is the token's launch context and cannot be changed by arguments; with a {@code user/} scope it is the
 * {@code patient_id} argument and the user needs a care relationship with that patient in the FHIR data,
 * or an active break-the-glass grant.
 */
final class Authorize implements Stage {
  private final AccessControl access;

  Authorize(AccessControl access) {
    this.access = access;
  }

  @Override
  public void apply(ToolExchange ex) {
    var spec = ex.spec;
    var caller = ex.caller;
    if (!access.roles().allows(caller, spec.name())) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "Your role does not permit this tool.");
    }
    ScopeCheck.Grant grant = access.scopes().grant(caller, spec.resourceType()).orElseThrow(() ->
        new ToolCallException(ToolCallException.Reason.INSUFFICIENT_SCOPE,
            "No granted scope permits this tool; it needs one of " + String.join(", ", spec.requiredScopes()) + "."));
    if (access.requireMfa() && !caller.mfa()) {
      throw new ToolCallException(ToolCallException.Reason.MFA_REQUIRED,
          "Clinical data requires multi-factor authentication; sign in again with MFA (step-up).");
    }
    ex.scope = grant.scope();
    if (!spec.patientScoped()) {
      return;
    }
    Optional<String> requested = ex.call.arguments().get("patient_id") instanceof String s ? Optional.of(s) : Optional.empty();
    if (grant.context().equals("patient")) {
      String bound = caller.patientContext().orElseThrow(() ->
          new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The token has patient scopes but no patient context."));
      if (requested.isPresent() && !requested.get().equals(bound)) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "patient_id is outside this token's patient context.");
      }
      ex.patientId = bound;
      return;
    }
    ex.patientId = requested.orElse(null); // absence is reported by argument validation
    if (ex.patientId != null && grant.context().equals("user") && access.requireCareRelationship()) {
      requireCareRelationship(ex);
    }
  }

  private void requireCareRelationship(ToolExchange ex) {
    boolean related;
    try {
      related = access.care().exists(ex.caller, ex.patientId);
    } catch (UpstreamException e) {
      throw new ToolCallException(ToolCallException.Reason.UPSTREAM_UNAVAILABLE,
          "Care relationships could not be checked; try again later.");
    }
    if (!related) {
      ex.breakGlass = access.breakGlass().active(ex.caller.subject(), ex.patientId).orElseThrow(() ->
          new ToolCallException(ToolCallException.Reason.NO_CARE_RELATIONSHIP,
              "You have no care relationship with this patient. In an emergency, declare break_the_glass with a reason."));
    }
  }
}
