package io.custos.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Emergency access ("break-the-glass", HIPAA 164.312(a)(2)(ii)): a time-boxed grant for one user to one
 * patient outside their care relationships. Declaring it is a separate, audited tool call with a reason.
 */
public final class BreakGlass {
  /** An active grant. */
  public record Grant(String subject, String patientId, String reason, Instant expires) {}

  private record Key(String subject, String patientId) {}

  private final Map<Key, Grant> grants = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration duration;

  public BreakGlass(Clock clock, Duration duration) {
    this.clock = clock;
    this.duration = duration;
  }

  /** Records a grant lasting the configured duration; returns it. */
  public Grant declare(String subject, String patientId, String reason) {
    Grant g = new Grant(subject, patientId, reason, clock.instant().plus(duration));
    grants.put(new Key(subject, patientId), g);
    return g;
  }

  /** A grant for {@code subject} and {@code patientId} that would start now (not yet active). */
  public Grant prepare(String subject, String patientId, String reason) {
    return new Grant(subject, patientId, reason, clock.instant().plus(duration));
  }

  /** Makes a prepared grant active (after its declaration is durably audited). */
  public void activate(Grant g) {
    grants.put(new Key(g.subject(), g.patientId()), g);
  }

  /** The unexpired grant of {@code subject} for {@code patientId}, if any. */
  public Optional<Grant> active(String subject, String patientId) {
    Key k = new Key(subject, patientId);
    Grant g = grants.get(k);
    if (g != null && !clock.instant().isBefore(g.expires())) {
      grants.remove(k, g);
      return Optional.empty();
    }
    return Optional.ofNullable(g);
  }

  public Duration duration() {
    return duration;
  }
}
