package io.custos.detect;

import io.custos.policy.AlertSink.Alert;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores a simulated day: an alert is a true positive when an injected instance of its rule has the same user, a
 * window containing the alert's triggering time and (for patient rules) the alert's patient; an alert that matches no
 * instance of any rule is a false alert. Precision is strict (an alert raised by an instance of another rule counts
 * against its rule's precision but is not a false alert on normal traffic).
 */
record DetectionEvaluation(Map<Rule, Score> scores, long falseAlerts, long crossAlerts, long normalCalls,
    long injectedCalls, long normalErrors, long maxLatencyMillis, long medianLatencyMillis, int alerts,
    Map<String, Integer> refusals, List<String> falseAlertRules) {

  /** One rule's figures. */
  record Score(int instances, int detected, int alerts, int truePositives) {
    double recall() {
      return instances == 0 ? 1 : (double) detected / instances;
    }

    double precision() {
      return alerts == 0 ? 1 : (double) truePositives / alerts;
    }
  }

  static DetectionEvaluation of(WorkloadSimulator.Run run) {
    Map<Rule, int[]> counts = new EnumMap<>(Rule.class);
    for (Rule r : Rule.values()) {
      counts.put(r, new int[4]);
    }
    for (WorkloadSimulator.Label l : run.labels()) {
      int[] c = counts.get(l.rule);
      c[0]++;
      if (run.alerts().stream().anyMatch(a -> matches(a.alert(), l, true))) {
        c[1]++;
      }
    }
    long falseAlerts = 0;
    List<String> falseRules = new ArrayList<>();
    long cross = 0;
    List<Long> latencies = new ArrayList<>();
    for (WorkloadSimulator.Received r : run.alerts()) {
      latencies.add(r.latencyMillis());
      Rule rule = Rule.byId(r.alert().rule()).orElseThrow();
      int[] c = counts.get(rule);
      c[2]++;
      if (run.labels().stream().anyMatch(l -> matches(r.alert(), l, true))) {
        c[3]++;
      } else if (run.labels().stream().anyMatch(l -> matches(r.alert(), l, false))) {
        cross++;
      } else {
        falseAlerts++;
        falseRules.add(rule.id() + " " + r.alert().subject() + " " + r.alert().windowStart() + ".." + r.alert().windowEnd()
            + " count " + r.alert().count());
      }
    }
    latencies.sort(Long::compare);
    Map<Rule, Score> scores = new EnumMap<>(Rule.class);
    counts.forEach((r, c) -> scores.put(r, new Score(c[0], c[1], c[2], c[3])));
    return new DetectionEvaluation(scores, falseAlerts, cross, run.normalCalls(), run.injectedCalls(), run.normalErrors(),
        latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1),
        latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2), run.alerts().size(), run.refusals(), falseRules);
  }

  /**
   * Same rule: the alert's triggering time lies in the instance's window and names its patient. Any rule: the alert's
   * window overlaps the instance's (its evidence includes injected calls).
   */
  private static boolean matches(Alert a, WorkloadSimulator.Label l, boolean sameRule) {
    if (!a.subject().equals(l.user) || l.from == null) {
      return false;
    }
    if (!sameRule) {
      return !a.windowStart().isAfter(l.to) && !a.windowEnd().isBefore(l.from);
    }
    return a.rule().equals(l.rule.id()) && !a.windowEnd().isBefore(l.from) && !a.windowEnd().isAfter(l.to)
        && (l.pseudonym.isEmpty() || a.patientPseudonyms().contains(l.pseudonym.get()));
  }

  double falsePer10k() {
    return normalCalls == 0 ? 0 : falseAlerts * 10_000.0 / normalCalls;
  }

  double minRecall() {
    return scores.values().stream().filter(s -> s.instances() > 0).mapToDouble(Score::recall).min().orElse(1);
  }

  /** The figures as a Markdown table and summary lines. */
  String markdown() {
    StringBuilder b = new StringBuilder("| rule | instances | detected | recall | alerts | true alerts | precision |\n"
        + "|---|---:|---:|---:|---:|---:|---:|\n");
    scores.forEach((r, s) -> b.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %d | %d | %.2f |%n", r.id(),
        s.instances(), s.detected(), s.recall(), s.alerts(), s.truePositives(), s.precision())));
    b.append(String.format(Locale.ROOT, "%nnormal calls %d (refused or failed %d), injected calls %d, alerts %d; "
        + "false alerts %d = %.2f per 10,000 normal calls; alerts raised by another rule's scenario %d; "
        + "latency from call start to alert: median %d ms, max %d ms%n", normalCalls, normalErrors, injectedCalls, alerts,
        falseAlerts, falsePer10k(), crossAlerts, medianLatencyMillis, maxLatencyMillis));
    b.append("\nfalse alerts by rule: ").append(falseAlertRules).append("\nrefused or failed calls by kind: ").append(refusals)
        .append('\n');
    return b.toString();
  }
}
