package io.custos.pipeline;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.policy.AccessControl;
import io.custos.tools.Access;

/**
 * Bind the patient, after the intent is audited and the arguments validated (so only a well-formed FHIR id ever
 * reaches the upstream). A {@code patient/} token was bound to its launch context by {@link Authorize}. Otherwise
 * the patient is {@code patient_id}: for {@link Access.PatientBinding#CARE_RELATIONSHIP} a {@code user/} caller needs
 * a care relationship with the patient in the FHIR data or an active break-the-glass grant; for
 * {@link Access.PatientBinding#EXISTING_PATIENT} the patient must exist.
 */
final class BindPatient implements Stage {
  private final AccessControl access;
  private final FhirUpstream upstream;

  BindPatient(AccessControl access, FhirUpstream upstream) {
    this.access = access;
    this.upstream = upstream;
  }

  @Override
  public StageName name() {
    return StageName.BIND_PATIENT;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    Access.PatientBinding binding = ex.declaration.access().binding();
    if (binding != Access.PatientBinding.NONE && ex.patientId == null) {
      String pid = ex.arguments.string("patient_id").orElseThrow(() -> ToolCallException.invalid("patient_id is required."));
      try {
        if (binding == Access.PatientBinding.EXISTING_PATIENT) {
          upstream.as(ex.caller).execute(new UpstreamRequest.Read("Patient", pid));
        } else if (access.requireCareRelationship() && "user".equals(ex.grantContext)
            && !access.care().exists(ex.caller, pid)) {
          ex.breakGlass = access.breakGlass().active(ex.caller.subject(), pid).orElseThrow(() ->
              new ToolCallException(ToolCallException.Reason.NO_CARE_RELATIONSHIP,
                  "You have no care relationship with this patient. In an emergency, declare break_the_glass with a reason."));
        }
      } catch (UpstreamException e) {
        if (e.kind() != UpstreamException.Kind.NOT_FOUND) {
          throw ToolCallException.fromUpstream(e);
        }
        // Break-the-glass names a patient who must exist; anyone else learns no more about an unknown id than
        // about a patient outside their care (no existence oracle).
        throw binding == Access.PatientBinding.EXISTING_PATIENT
            ? new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The patient was not found.")
            : new ToolCallException(ToolCallException.Reason.NO_CARE_RELATIONSHIP,
                "You have no care relationship with this patient. In an emergency, declare break_the_glass with a reason.");
      }
      ex.patientId = pid;
    }
    return next.proceed(ex);
  }
}
