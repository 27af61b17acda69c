package io.custos.detect;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One user's recent activity as the counting rules see it: a sliding window of events per rule, the hourly call
 * baseline (mean calls per completed active hour) and the alerts suppressed until a given time. Used by the engine's
 * single worker thread only.
 */
final class UserActivity {
  /** One counted event: when, its ledger event id, its patient pseudonym (or null) and its weight (records, calls). */
  record Mark(Instant at, String eventId, String patient, long weight) {}

  private final Map<Rule, Deque<Mark>> windows = new EnumMap<>(Rule.class);
  /** Suppression entries kept before expired ones are dropped. */
  private static final int MAX_SUPPRESSED = 1000;
  private final Map<String, Instant> suppressedUntil = new HashMap<>();
  private Instant hour;
  private long hourCalls;
  private long baselineCalls;
  private int baselineHours;

  /** Adds a mark to the rule's window and drops marks older than {@code window} before it. */
  Deque<Mark> add(Rule rule, Mark mark, Duration window) {
    Deque<Mark> d = windows.computeIfAbsent(rule, r -> new ArrayDeque<>());
    d.addLast(mark);
    Instant from = mark.at().minus(window);
    while (!d.isEmpty() && d.peekFirst().at().isBefore(from)) {
      d.removeFirst();
    }
    return d;
  }

  /** Sum of the weights in a window. */
  static long weight(Deque<Mark> d) {
    return d.stream().mapToLong(Mark::weight).sum();
  }

  /** Distinct patients in a window, in first-seen order. */
  static Set<String> patients(Deque<Mark> d) {
    Set<String> out = new LinkedHashSet<>();
    d.forEach(m -> {
      if (m.patient() != null) {
        out.add(m.patient());
      }
    });
    return out;
  }

  /** The newest {@code max} event ids of a window. */
  static List<String> evidence(Deque<Mark> d, int max) {
    List<String> all = new ArrayList<>(d.size());
    d.forEach(m -> all.add(m.eventId()));
    return all.subList(Math.max(0, all.size() - max), all.size());
  }

  /**
   * Counts a call into the hourly baseline: when the call falls in a new hour, the finished hour joins the baseline.
   * Hours without calls (breaks, nights) do not lower it.
   */
  void countCall(Instant at) {
    Instant h = at.truncatedTo(ChronoUnit.HOURS);
    if (hour == null || !h.equals(hour)) {
      if (hour != null && hourCalls > 0) {
        baselineCalls += hourCalls;
        baselineHours++;
      }
      hour = h;
      hourCalls = 0;
    }
    hourCalls++;
  }

  /** Completed active hours behind the baseline. */
  int baselineHours() {
    return baselineHours;
  }

  /** Mean calls per completed active hour (0 before the first). */
  double baseline() {
    return baselineHours == 0 ? 0 : (double) baselineCalls / baselineHours;
  }

  /** Whether an alert with this key is suppressed at {@code at}; if not, suppresses it until {@code at + period}. */
  boolean suppressed(String key, Instant at, Duration period) {
    if (suppressedUntil.size() > MAX_SUPPRESSED) {
      suppressedUntil.values().removeIf(until -> !at.isBefore(until));
    }
    Instant until = suppressedUntil.get(key);
    if (until != null && at.isBefore(until)) {
      return true;
    }
    suppressedUntil.put(key, at.plus(period));
    return false;
  }
}
