package io.custos.detect;

import io.custos.policy.AlertSink.Severity;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The misuse-detection rules (hospital privacy monitoring: Boxwala et al., JAMIA 2011; FairWarning/Protenus-style
 * review under 45 CFR 164.308(a)(1)(ii)(D)), with their defaults. Each is configured under
 * {@code detection.rules.<id>} ({@link DetectionConfig.RuleSettings}).
 */
public enum Rule {
  /** The patient has the user's surname (family member), matched against the staff directory. */
  SAME_SURNAME("same-surname", Severity.MEDIUM, 1, 0, 0, List.of()),
  /** The patient lives at the user's address (household member or neighbour). */
  SAME_ADDRESS("same-address", Severity.HIGH, 1, 0, 0, List.of()),
  /** The patient is another member of staff (same name and birth date as a directory entry). */
  COWORKER_RECORD("coworker-record", Severity.HIGH, 1, 0, 0, List.of()),
  /** The patient is the user (same name and birth date). */
  OWN_RECORD("own-record", Severity.MEDIUM, 1, 0, 0, List.of()),
  /** The patient is on the VIP list or carries a restricted security label. */
  VIP_RECORD("vip-record", Severity.HIGH, 1, 0, 0, List.of()),
  /** The patient is deceased. */
  DECEASED_PATIENT("deceased-patient", Severity.MEDIUM, 1, 0, 0, List.of()),
  /** The patient has no encounter in the last {@code threshold} days. */
  NO_RECENT_VISIT("no-recent-visit", Severity.LOW, 365, 0, 0, List.of("front-desk")),
  /** The patient has recent encounters, none of them at the user's department (organisation). */
  OUTSIDE_DEPARTMENT("outside-department", Severity.LOW, 365, 0, 0, List.of()),
  /** A record opened outside working hours or days. */
  AFTER_HOURS("after-hours", Severity.LOW, 1, 60, 0, List.of()),
  /** More calls in {@code windowMinutes} than {@code factor} times the user's own hourly baseline (and at least threshold). */
  VOLUME_ABOVE_BASELINE("volume-above-baseline", Severity.MEDIUM, 60, 60, 4.0, List.of()),
  /** At least {@code threshold} distinct patients opened one by one within {@code windowMinutes}. */
  MANY_PATIENTS("many-patients", Severity.MEDIUM, 25, 10, 0, List.of()),
  /** At least {@code threshold} refused calls (authorization, scope, care relationship, consent) within {@code windowMinutes}. */
  REPEATED_DENIALS("repeated-denials", Severity.HIGH, 5, 10, 0, List.of()),
  /** At least {@code threshold} break-the-glass declarations within {@code windowMinutes}. */
  BREAK_GLASS_FREQUENCY("break-the-glass-frequency", Severity.HIGH, 3, 24 * 60, 0, List.of()),
  /** At least {@code threshold} records returned within {@code windowMinutes} (cohort extracts, paging through everything). */
  LARGE_EXTRACT("large-extract", Severity.HIGH, 1500, 30, 0, List.of());

  private final String id;
  private final Severity severity;
  private final int threshold;
  private final int windowMinutes;
  private final double factor;
  private final List<String> exemptRoles;

  Rule(String id, Severity severity, int threshold, int windowMinutes, double factor, List<String> exemptRoles) {
    this.id = id;
    this.severity = severity;
    this.threshold = threshold;
    this.windowMinutes = windowMinutes;
    this.factor = factor;
    this.exemptRoles = exemptRoles;
  }

  /** The id used in configuration and in alerts. */
  public String id() {
    return id;
  }

  Severity defaultSeverity() {
    return severity;
  }

  int defaultThreshold() {
    return threshold;
  }

  int defaultWindowMinutes() {
    return windowMinutes;
  }

  double defaultFactor() {
    return factor;
  }

  Set<String> defaultExemptRoles() {
    return Set.copyOf(exemptRoles);
  }

  /** The rule with this id. */
  public static Optional<Rule> byId(String id) {
    return Arrays.stream(values()).filter(r -> r.id.equals(id)).findFirst();
  }
}
