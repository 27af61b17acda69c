package io.custos.policy;

import io.custos.auth.Caller;

/**
 * Whether a {@code user/} caller has a care relationship with a patient (CareTeam member, encounter
 * participant or general practitioner), so a clinician reaches only their own patients unless
 * break-the-glass is active. The decision comes from the FHIR data, never from the model.
 */
public interface CareRelationship {
  /**
   * @throws io.custos.fhir.UpstreamException if the FHIR data cannot be consulted (the caller then refuses)
   */
  boolean exists(Caller caller, String patientId);
}
