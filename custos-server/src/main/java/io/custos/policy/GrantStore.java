package io.custos.policy;

import java.util.Optional;

/** Active break-the-glass grants (HIPAA 164.312(a)(2)(ii)), at most one per user and patient. */
public interface GrantStore {
  /** Stores {@code grant}, replacing an earlier grant of the same user for the same patient. */
  void put(BreakGlass.Grant grant);

  /** The grant of {@code subject} for {@code patientId} if one exists and has not expired. */
  Optional<BreakGlass.Grant> active(String subject, String patientId);
}
