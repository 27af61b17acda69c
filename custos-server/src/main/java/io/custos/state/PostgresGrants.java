package io.custos.state;

import io.custos.policy.BreakGlass;
import io.custos.policy.GrantStore;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Optional;

/** Grants in {@code custos_grant}, one row per user and patient (a new grant replaces it); expired rows are swept. */
final class PostgresGrants implements GrantStore {
  private final Jdbc db;
  private final Clock clock;

  PostgresGrants(Jdbc db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public void put(BreakGlass.Grant grant) {
    db.auto("grants", c -> Jdbc.update(c, "INSERT INTO custos_grant (subject, patient_id, reason, expires_at) VALUES (?, ?, ?, ?)"
        + " ON CONFLICT (subject, patient_id) DO UPDATE SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at",
        grant.subject(), grant.patientId(), grant.reason(), grant.expires()));
  }

  @Override
  public Optional<BreakGlass.Grant> active(String subject, String patientId) {
    return db.auto("grants", c -> {
      try (var s = Jdbc.prepare(c, "SELECT reason, expires_at FROM custos_grant WHERE subject = ? AND patient_id = ?"
          + " AND expires_at > ?", subject, patientId, clock.instant());
          ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(new BreakGlass.Grant(subject, patientId, rs.getString("reason"), Jdbc.instant(rs, "expires_at").orElseThrow()))
            : Optional.empty();
      }
    });
  }
}
