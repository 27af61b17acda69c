package io.custos.state;

import io.custos.writes.CanonicalJson;
import java.time.Clock;
import java.time.Instant;

/**
 * Claims in {@code custos_single_use}, by SHA-256 of the key. A claim is one {@code INSERT ... ON CONFLICT}: the primary
 * key makes exactly one of any number of concurrent claims (on any server) insert the row; a row whose expiry has
 * passed is taken over by the next claim, as if it had been swept.
 */
final class PostgresSingleUse implements SingleUseRecords {
  private final Jdbc db;
  private final Clock clock;

  PostgresSingleUse(Jdbc db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public boolean claimOnce(String key, Instant expiresAt) {
    Instant now = clock.instant();
    if (!expiresAt.isAfter(now)) {
      return false;
    }
    return db.auto("single-use records", c -> Jdbc.update(c, "INSERT INTO custos_single_use (key_sha256, expires_at) VALUES (?, ?)"
        + " ON CONFLICT (key_sha256) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE custos_single_use.expires_at <= ?",
        CanonicalJson.sha256(key), expiresAt, now)) == 1;
  }
}
