package io.custos.state;

import io.custos.writes.CanonicalJson;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Session bindings in {@code custos_session}, by SHA-256 of the session id. A request is judged on the row locked
 * {@code FOR UPDATE}, so concurrent requests of one session on several servers see each other's activity and a logoff
 * is recorded once.
 */
final class PostgresSessions implements SessionBindings {
  private final Jdbc db;
  private final Clock clock;

  PostgresSessions(Jdbc db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public void bind(String sessionId, Owner owner, Duration idle) {
    SessionBinding b = SessionBinding.fresh(owner, idle, clock.instant());
    db.auto("session bindings", c -> Jdbc.update(c, "INSERT INTO custos_session (id_sha256, subject, client_id, idle_ms, last_seen)"
        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_sha256) DO UPDATE SET subject = EXCLUDED.subject, client_id = EXCLUDED.client_id,"
        + " idle_ms = EXCLUDED.idle_ms, last_seen = EXCLUDED.last_seen, logged_off_at = NULL", CanonicalJson.sha256(sessionId),
        owner.subject(), owner.clientId().orElse(null), idle.toMillis(), b.lastSeen()));
  }

  @Override
  public Verdict present(String sessionId, Owner presenter) {
    String id = CanonicalJson.sha256(sessionId);
    return db.transaction("session bindings", c -> {
      SessionBinding stored;
      try (var s = Jdbc.prepare(c, "SELECT subject, client_id, idle_ms, last_seen, logged_off_at FROM custos_session"
          + " WHERE id_sha256 = ? FOR UPDATE", id); ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Verdict.UNKNOWN;
        }
        stored = new SessionBinding(new Owner(rs.getString("subject"), Optional.ofNullable(rs.getString("client_id"))),
            Duration.ofMillis(rs.getLong("idle_ms")), Jdbc.instant(rs, "last_seen").orElseThrow(), Jdbc.instant(rs, "logged_off_at"));
      }
      SessionBinding.Judgement j = stored.judge(presenter, clock.instant());
      if (!j.next().equals(stored)) {
        Jdbc.update(c, "UPDATE custos_session SET last_seen = ?, logged_off_at = ? WHERE id_sha256 = ?", j.next().lastSeen(),
            j.next().loggedOff().orElse(null), id);
      }
      return j.verdict();
    });
  }

  @Override
  public void end(String sessionId) {
    db.auto("session bindings", c -> Jdbc.update(c, "DELETE FROM custos_session WHERE id_sha256 = ?", CanonicalJson.sha256(sessionId)));
  }
}
