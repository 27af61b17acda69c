package io.custos.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** When an in-process store next drops its expired records: at most once per interval, on a write. */
final class Sweep {
  private final Clock clock;
  private final Duration interval;
  private Instant next;

  Sweep(Clock clock, Duration interval) {
    this.clock = clock;
    this.interval = interval;
    this.next = clock.instant().plus(interval);
  }

  /** True (and the next sweep scheduled) when a sweep is due. */
  synchronized boolean due() {
    Instant now = clock.instant();
    if (now.isBefore(next)) {
      return false;
    }
    next = now.plus(interval);
    return true;
  }
}
