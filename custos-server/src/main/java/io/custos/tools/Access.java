package io.custos.tools;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the authorize stage checks for one declaration (deny unless allowed; 45 CFR 164.312(a)).
 *
 * @param resourceTypes     FHIR resource types a granted SMART v2 scope must cover (all of them); empty: no
 *                          clinical-data scope is needed (prompts, the policy resource, approvals)
 * @param permissions       SMART v2 permissions each of those scopes must grant, e.g. {@code rs} (read, search)
 *                          or {@code c} (create)
 * @param patientScopes     whether a {@code patient/} scope qualifies (false for cross-patient tools)
 * @param binding           how the call is bound to a patient
 * @param roleListed        whether a role must list the declaration by name ({@code policy.roles})
 * @param mfa               whether the token must carry MFA evidence ({@code amr}/{@code acr}; 164.312(d))
 * @param maxAuthAge        when present, the MFA sign-in ({@code auth_time}) must be at most this old
 */
public record Access(List<String> resourceTypes, String permissions, boolean patientScopes, PatientBinding binding,
    boolean roleListed, boolean mfa, Optional<Duration> maxAuthAge) {

  /** How a call is bound to a patient. */
  public enum PatientBinding {
    /** Not about one patient (directory lookup, cohorts, the policy resource). */
    NONE,
    /**
     * One patient: a {@code patient/} token's launch context, or the {@code patient_id} argument for {@code user/}
     * and {@code system/} tokens, which then needs a care relationship or a break-the-glass grant.
     */
    CARE_RELATIONSHIP,
    /** One patient named by {@code patient_id} who must exist; no care relationship (break-the-glass). */
    EXISTING_PATIENT
  }

  public Access {
    resourceTypes = List.copyOf(resourceTypes);
  }

  /** Read and search on one resource type, bound to a patient. */
  public static Access readPatient(String resourceType) {
    return new Access(List.of(resourceType), "rs", true, PatientBinding.CARE_RELATIONSHIP, true, true, Optional.empty());
  }

  /** Read and search on one resource type, no patient binding. */
  public static Access readDirectory(String resourceType) {
    return new Access(List.of(resourceType), "rs", true, PatientBinding.NONE, true, true, Optional.empty());
  }

  /** Cross-patient read and search on several types: {@code user/} or {@code system/} scopes only. */
  public static Access crossPatient(List<String> resourceTypes) {
    return new Access(resourceTypes, "rs", false, PatientBinding.NONE, true, true, Optional.empty());
  }

  /** Create on one resource type, bound to a patient. */
  public static Access createFor(String resourceType, char permission) {
    return new Access(List.of(resourceType), String.valueOf(permission), true, PatientBinding.CARE_RELATIONSHIP, true, true,
        Optional.empty());
  }

  /** Authenticated callers with MFA; no role listing and no clinical-data scope (prompts, resources, approvals). */
  public static Access authenticated(PatientBinding binding, boolean mfa) {
    return new Access(List.of(), "", true, binding, false, mfa, Optional.empty());
  }
}
