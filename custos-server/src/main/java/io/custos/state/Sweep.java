package io.custos.state;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** When an in-process store next drops its expired records: at most once per interval, on a write. Lock-free. */
final class Sweep {
  private final Clock clock;
  private final long intervalMillis;
  private final AtomicLong nextMillis;

  Sweep(Clock clock, Duration interval) {
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
    this.nextMillis = new AtomicLong(clock.millis() + intervalMillis);
  }

  /** True (and the next sweep scheduled) for exactly one caller once a sweep is due. */
  boolean due() {
    long now = clock.millis();
    long next = nextMillis.get();
    return now >= next && nextMillis.compareAndSet(next, now + intervalMillis);
  }
}
