package io.custos.detect;

import io.custos.policy.AlertSink.Severity;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code detection} section of {@code custos.yaml}: misuse detection over the audit events. Every key is optional;
 * {@link #errors()} names each invalid key.
 *
 * @param enabled         run the detection engine; default true when the section is present
 * @param zone            IANA time zone of the working hours; default UTC
 * @param workingHours    {@code HH:mm-HH:mm} (end exclusive; {@code 00:00-24:00} all day); default {@code 07:00-19:00}
 * @param workingDays     ISO day names ({@code MONDAY}...); default Monday to Friday
 * @param staffDirectory  where staff names, addresses, birth dates and departments come from; default none (the
 *                        surname, address, own-record, co-worker and department rules then stay silent)
 * @param vipPatients     patients whose every access alerts; default none
 * @param rules           per rule id ({@link Rule#id()}): enablement, severity, threshold, window, factor, exempt roles
 */
public record DetectionConfig(Boolean enabled, String zone, String workingHours, List<String> workingDays,
    StaffDirectorySource staffDirectory, VipPatients vipPatients, Map<String, RuleSettings> rules) {

  /**
   * @param csv  a CSV file with the header {@code subject,practitioner,family,given,birth_date,address,postal_code,department}
   *             ({@code subject} is the token {@code sub}; {@code practitioner} the {@code fhirUser} reference, e.g.
   *             {@code Practitioner/123}; {@code department} an Organization id; no commas inside fields)
   * @param fhir read FHIR Practitioner (name, address, birth date) and PractitionerRole (organization = department)
   *             from the upstream at start; users are matched by their {@code fhirUser}
   */
  public record StaffDirectorySource(String csv, Boolean fhir) {}

  /**
   * @param ids            FHIR Patient logical ids (pseudonymised at start, never logged)
   * @param securityLabels {@code Patient.meta.security} codes that mark a restricted record (e.g. {@code R}, {@code V}
   *                       of HL7 v3 Confidentiality); default {@code R}, {@code V}
   */
  public record VipPatients(List<String> ids, List<String> securityLabels) {}

  /**
   * @param enabled       default true
   * @param severity      {@code low}, {@code medium}, {@code high} or {@code critical}
   * @param threshold     count (or days, for the visit rules) at which the rule fires; at least 1
   * @param windowMinutes sliding window of the counting rules, 1..10080; for single-event rules the time in which a repeat
   *                      alert for the same user (and patient) is suppressed
   * @param factor        multiple of the user's own baseline ({@code volume-above-baseline}), at least 1
   * @param exemptRoles   roles the rule does not apply to (a user with any other role is still checked)
   */
  public record RuleSettings(Boolean enabled, String severity, Integer threshold, Integer windowMinutes, Double factor,
      List<String> exemptRoles) {}

  /** Every invalid key, each message naming it (empty when valid). */
  public List<String> errors() {
    List<String> errors = new ArrayList<>();
    try {
      zoneId();
    } catch (DateTimeException e) {
      errors.add("detection.zone: not an IANA time zone");
    }
    try {
      hours();
    } catch (DateTimeParseException | IllegalArgumentException e) {
      errors.add("detection.workingHours: must be HH:mm-HH:mm");
    }
    try {
      days();
    } catch (IllegalArgumentException e) {
      errors.add("detection.workingDays: must be day names such as MONDAY");
    }
    if (staffDirectory != null && staffDirectory.csv() != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(staffDirectory.csv()))) {
      errors.add("detection.staffDirectory.csv: not a readable file");
    }
    (rules == null ? Map.<String, RuleSettings>of() : rules).forEach((id, s) -> {
      String key = "detection.rules." + id;
      if (Rule.byId(id).isEmpty()) {
        errors.add(key + ": unknown rule");
        return;
      }
      if (s == null) {
        return;
      }
      if (s.severity() != null && parseSeverity(s.severity()).isEmpty()) {
        errors.add(key + ".severity: must be low, medium, high or critical");
      }
      if (s.threshold() != null && s.threshold() < 1) {
        errors.add(key + ".threshold: must be at least 1");
      }
      if (s.windowMinutes() != null && (s.windowMinutes() < 1 || s.windowMinutes() > 10_080)) {
        errors.add(key + ".windowMinutes: must be 1..10080");
      }
      if (s.factor() != null && s.factor() < 1) {
        errors.add(key + ".factor: must be at least 1");
      }
    });
    return errors;
  }

  /** Whether the engine runs (the section is present and not disabled). */
  public boolean on() {
    return enabled == null || enabled;
  }

  ZoneId zoneId() {
    return zone == null ? ZoneId.of("UTC") : ZoneId.of(zone);
  }

  /** Start (inclusive) and end (exclusive; {@link LocalTime#MAX} for 24:00) of the working day. */
  LocalTime[] hours() {
    String h = workingHours == null ? "07:00-19:00" : workingHours;
    String[] parts = h.split("-", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException("not a range");
    }
    LocalTime end = parts[1].trim().equals("24:00") ? LocalTime.MAX : LocalTime.parse(parts[1].trim());
    return new LocalTime[] {LocalTime.parse(parts[0].trim()), end};
  }

  Set<DayOfWeek> days() {
    if (workingDays == null) {
      return EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY);
    }
    Set<DayOfWeek> out = EnumSet.noneOf(DayOfWeek.class);
    workingDays.forEach(d -> out.add(DayOfWeek.valueOf(d.trim().toUpperCase(Locale.ROOT))));
    return out;
  }

  private Optional<RuleSettings> settings(Rule r) {
    return Optional.ofNullable(rules).map(m -> m.get(r.id()));
  }

  boolean ruleOn(Rule r) {
    return settings(r).map(RuleSettings::enabled).orElse(true) != Boolean.FALSE;
  }

  Severity severity(Rule r) {
    return settings(r).map(RuleSettings::severity).flatMap(DetectionConfig::parseSeverity).orElse(r.defaultSeverity());
  }

  int threshold(Rule r) {
    return settings(r).map(RuleSettings::threshold).orElse(r.defaultThreshold());
  }

  /** The rule's window; single-event rules without one suppress repeats for an hour. */
  java.time.Duration window(Rule r) {
    int m = settings(r).map(RuleSettings::windowMinutes).orElse(r.defaultWindowMinutes());
    return java.time.Duration.ofMinutes(m == 0 ? 60 : m);
  }

  double factor(Rule r) {
    return settings(r).map(RuleSettings::factor).orElse(r.defaultFactor());
  }

  Set<String> exemptRoles(Rule r) {
    return settings(r).map(RuleSettings::exemptRoles).<Set<String>>map(Set::copyOf).orElse(r.defaultExemptRoles());
  }

  Set<String> vipSecurityLabels() {
    return Set.copyOf(vipPatients == null || vipPatients.securityLabels() == null ? List.of("R", "V") : vipPatients.securityLabels());
  }

  List<String> vipIds() {
    return vipPatients == null || vipPatients.ids() == null ? List.of() : vipPatients.ids();
  }

  private static Optional<Severity> parseSeverity(String s) {
    try {
      return Optional.of(Severity.valueOf(s.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
