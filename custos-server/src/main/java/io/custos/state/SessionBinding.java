package io.custos.state;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One stored session binding and the rule that judges a request presenting it, the same for every store.
 *
 * @param owner     who created the session
 * @param idle      inactivity after which it is logged off
 * @param lastSeen  its last activity
 * @param loggedOff when it was logged off for inactivity; empty while it is active
 */
record SessionBinding(SessionBindings.Owner owner, Duration idle, Instant lastSeen, Optional<Instant> loggedOff) {
  /** A verdict and the binding to store after it ({@code next} equals this one when nothing changes). */
  record Judgement(SessionBindings.Verdict verdict, SessionBinding next) {}

  static SessionBinding fresh(SessionBindings.Owner owner, Duration idle, Instant now) {
    return new SessionBinding(owner, idle, now, Optional.empty());
  }

  /** Logged off, then another identity refused, then idle beyond the limit logged off, else active and touched. */
  Judgement judge(SessionBindings.Owner presenter, Instant now) {
    if (loggedOff.isPresent()) {
      return new Judgement(SessionBindings.Verdict.LOGGED_OFF, this);
    }
    if (!owner.equals(presenter)) {
      return new Judgement(SessionBindings.Verdict.FOREIGN, this);
    }
    if (Duration.between(lastSeen, now).compareTo(idle) > 0) {
      return new Judgement(SessionBindings.Verdict.LOGGED_OFF, new SessionBinding(owner, idle, lastSeen, Optional.of(now)));
    }
    return new Judgement(SessionBindings.Verdict.ACTIVE, new SessionBinding(owner, idle, now, Optional.empty()));
  }

  /** True once the session ended (deliberately or by inactivity) longer than {@link SessionBindings#REMEMBER_LOGOFF} ago. */
  boolean forgettable(Instant now) {
    return loggedOff.orElse(lastSeen.plus(idle)).plus(SessionBindings.REMEMBER_LOGOFF).isBefore(now);
  }
}
