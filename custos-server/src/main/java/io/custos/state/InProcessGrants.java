package io.custos.state;

import io.custos.policy.BreakGlass;
import io.custos.policy.GrantStore;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Grants in a concurrent map; expired ones are dropped on lookup and by sweeps. */
final class InProcessGrants implements GrantStore {
  private record Key(String subject, String patientId) {}

  private final Map<Key, BreakGlass.Grant> grants = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Sweep sweep;

  InProcessGrants(Clock clock, Sweep sweep) {
    this.clock = clock;
    this.sweep = sweep;
  }

  @Override
  public void put(BreakGlass.Grant grant) {
    if (sweep.due()) {
      grants.values().removeIf(this::expired);
    }
    grants.put(new Key(grant.subject(), grant.patientId()), grant);
  }

  @Override
  public Optional<BreakGlass.Grant> active(String subject, String patientId) {
    Key k = new Key(subject, patientId);
    BreakGlass.Grant g = grants.get(k);
    if (g != null && expired(g)) {
      grants.remove(k, g);
      return Optional.empty();
    }
    return Optional.ofNullable(g);
  }

  private boolean expired(BreakGlass.Grant g) {
    return !clock.instant().isBefore(g.expires());
  }
}
