package io.custos.state;

import io.custos.pipeline.CursorStore;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/** Cursors in {@code custos_cursor}; one statement per operation, expired rows never resolve and are swept. */
final class PostgresCursors implements CursorStore {
  private final Jdbc db;
  private final Clock clock;

  PostgresCursors(Jdbc db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public String issue(Owner owner, String nextLink, Instant expiresAt) {
    String cursor = RandomIds.next();
    db.auto("cursors", c -> Jdbc.update(c, "INSERT INTO custos_cursor (id, subject, tool, patient_id, next_link, expires_at)"
        + " VALUES (?, ?, ?, ?, ?, ?)", cursor, owner.subject(), owner.tool(), patient(owner), nextLink, expiresAt));
    return cursor;
  }

  @Override
  public Optional<String> resolve(String cursor, Owner owner) {
    return db.auto("cursors", c -> {
      try (var s = Jdbc.prepare(c, "SELECT next_link FROM custos_cursor WHERE id = ? AND subject = ? AND tool = ?"
          + " AND patient_id = ? AND expires_at > ?", cursor, owner.subject(), owner.tool(), patient(owner), clock.instant());
          ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    });
  }

  /** The patient column: '' for a search not bound to one patient (FHIR ids are never empty). */
  private static String patient(Owner owner) {
    return owner.patientId().orElse("");
  }
}
