package io.custos.state;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Claimed keys with their expiry, bounded in number; expired ones are dropped by sweeps and when full. */
final class InProcessSingleUse implements SingleUseRecords {
  private final Clock clock;
  private final Sweep sweep;
  private final int capacity;
  private final Map<String, Instant> claims = new HashMap<>();

  InProcessSingleUse(Clock clock, Sweep sweep, int capacity) {
    this.clock = clock;
    this.sweep = sweep;
    this.capacity = capacity;
  }

  @Override
  public synchronized boolean claimOnce(String key, Instant expiresAt) {
    Instant now = clock.instant();
    if (!expiresAt.isAfter(now)) {
      return false;
    }
    if (sweep.due() || claims.size() >= capacity) {
      claims.values().removeIf(e -> !e.isAfter(now));
    }
    Instant earlier = claims.get(key);
    if (earlier != null && earlier.isAfter(now)) {
      return false;
    }
    if (earlier == null && claims.size() >= capacity) {
      throw new StateFullException("single-use records");
    }
    claims.put(key, expiresAt);
    return true;
  }
}
