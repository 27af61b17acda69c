package io.custos.pipeline;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Server-side page cursors. A client only ever holds a random cursor id; the upstream FHIR {@code next} link (which
 * may carry search values) stays in the store, bound to the user, tool and patient that created it, so a cursor can
 * neither leak PHI nor be replayed by another user, for another tool or for another patient.
 */
public interface CursorStore {
  /**
   * Whom a cursor belongs to.
   *
   * @param subject   the authenticated user's {@code sub}
   * @param tool      the tool whose results are paged
   * @param patientId the patient the results are about; empty for a search not bound to one patient
   */
  record Owner(String subject, String tool, Optional<String> patientId) {
    public Owner {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(tool, "tool");
      Objects.requireNonNull(patientId, "patientId");
    }
  }

  /**
   * Stores a next link and returns its opaque id (128 random bits, 22 base64url characters).
   *
   * @param expiresAt from this instant on the cursor no longer resolves
   */
  String issue(Owner owner, String nextLink, Instant expiresAt);

  /** The next link of {@code cursor} if it exists, has not expired and belongs to exactly {@code owner}. */
  Optional<String> resolve(String cursor, Owner owner);
}
