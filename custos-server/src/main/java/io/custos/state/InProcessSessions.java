package io.custos.state;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Session bindings in a concurrent map; each judgement is one atomic map step, and sweeps drop ended sessions. */
final class InProcessSessions implements SessionBindings {
  private final Map<String, SessionBinding> bindings = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Sweep sweep;

  InProcessSessions(Clock clock, Sweep sweep) {
    this.clock = clock;
    this.sweep = sweep;
  }

  @Override
  public void bind(String sessionId, Owner owner, Duration idle) {
    if (sweep.due()) {
      bindings.values().removeIf(b -> b.forgettable(clock.instant()));
    }
    bindings.put(sessionId, SessionBinding.fresh(owner, idle, clock.instant()));
  }

  @Override
  public Verdict present(String sessionId, Owner presenter) {
    Verdict[] verdict = {Verdict.UNKNOWN};
    bindings.computeIfPresent(sessionId, (id, b) -> {
      SessionBinding.Judgement j = b.judge(presenter, clock.instant());
      verdict[0] = j.verdict();
      return j.next();
    });
    return verdict[0];
  }

  @Override
  public void end(String sessionId) {
    bindings.remove(sessionId);
  }

  /** Bindings held (for tests of the clean-up). */
  int size() {
    return bindings.size();
  }
}
