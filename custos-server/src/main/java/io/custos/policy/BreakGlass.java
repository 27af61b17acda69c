package io.custos.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Emergency access ("break-the-glass", HIPAA 164.312(a)(2)(ii)): a time-boxed grant for one user to one
 * patient outside their care relationships. Declaring it is a separate, audited tool call with a reason.
 */
public final class BreakGlass {
  /** An active grant. */
  public record Grant(String subject, String patientId, String reason, Instant expires) {}

  private final GrantStore grants;
  private final Clock clock;
  private final Duration duration;

  /**
   * @param duration how long a grant lasts
   * @param grants   where grants are kept (the server's state store, on the same clock)
   */
  public BreakGlass(Clock clock, Duration duration, GrantStore grants) {
    this.clock = clock;
    this.duration = duration;
    this.grants = grants;
  }

  /** Records a grant lasting the configured duration; returns it. */
  public Grant declare(String subject, String patientId, String reason) {
    Grant g = prepare(subject, patientId, reason);
    grants.put(g);
    return g;
  }

  /** A grant for {@code subject} and {@code patientId} that would start now (not yet active). */
  public Grant prepare(String subject, String patientId, String reason) {
    return new Grant(subject, patientId, reason, clock.instant().plus(duration));
  }

  /** Makes a prepared grant active (after its declaration is durably audited). */
  public void activate(Grant g) {
    grants.put(g);
  }

  /** The unexpired grant of {@code subject} for {@code patientId}, if any. */
  public Optional<Grant> active(String subject, String patientId) {
    return grants.active(subject, patientId);
  }

  public Duration duration() {
    return duration;
  }
}
