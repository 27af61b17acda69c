package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.policy.AlertSink.Alert;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DetectionEngineTest {
  /** Monday 2026-11-30 10:00 UTC: inside the default working hours. */
  static final Instant MONDAY_10 = Instant.parse("2026-11-30T10:00:00Z");
  static final String ALICE = "alice";

  final Map<String, PatientFacts> patients = new HashMap<>();
  final TestEvents.ListTrail ledger = new TestEvents.ListTrail();

  PatientFacts patient(String family, String given, String birth, String address, boolean deceased, Instant lastVisit,
      String org, String... labels) {
    return new PatientFacts(PatientFacts.norm(family), PatientFacts.norm(given), PatientFacts.date(birth),
        address, deceased, Set.of(labels), lastVisit == null ? Map.of() : Map.of(org, lastVisit));
  }

  DetectionEngine engine(DetectionConfig config) {
    StaffDirectory staff = new StaffDirectory(List.of(
        new StaffDirectory.Member(ALICE, "Practitioner/alice", "smith", "alice", PatientFacts.date("1980-01-02"),
            "1mainst|02139", "org-a"),
        new StaffDirectory.Member("bob", "Practitioner/bob", "jones", "bob", PatientFacts.date("1975-05-05"), "", "org-a")));
    return DetectionEngine.builder().config(config).staff(staff).facts(p -> Optional.ofNullable(patients.get(p)))
        .vipPseudonyms(Set.of("pt_vip")).ledger(ledger, "test").build();
  }

  static DetectionConfig defaults() {
    return new DetectionConfig(null, null, null, null, null, null, null);
  }

  List<String> rules(DetectionEngine e, AuditEvent event) {
    return e.evaluate(event).stream().map(Alert::rule).toList();
  }

  @Test
  void anOrdinaryReadOfARecentPatientInTheDepartmentRaisesNothing() {
    patients.put("pt_1", patient("Doe", "Jane", "1950-03-03", "9elmst|02140", false, MONDAY_10.minus(Duration.ofDays(10)), "org-a"));
    assertThat(rules(engine(defaults()), TestEvents.read(ALICE, MONDAY_10, "pt_1"))).isEmpty();
  }

  @Test
  void patientAttributeRulesFire() {
    Instant recent = MONDAY_10.minus(Duration.ofDays(3));
    patients.put("pt_fam", patient("Smith", "Carl", "1990-01-01", "", false, recent, "org-a"));
    patients.put("pt_addr", patient("Brown", "Dan", "1991-01-01", "1mainst|02139", false, recent, "org-a"));
    patients.put("pt_self", patient("Smith", "Alice", "1980-01-02", "1mainst|02139", false, recent, "org-a"));
    patients.put("pt_bob", patient("Jones", "Bob", "1975-05-05", "", false, recent, "org-a"));
    patients.put("pt_dead", patient("Gray", "Eve", "1930-01-01", "", true, recent, "org-a"));
    patients.put("pt_old", patient("Green", "Fay", "1960-01-01", "", false, MONDAY_10.minus(Duration.ofDays(900)), "org-a"));
    patients.put("pt_away", patient("White", "Gus", "1961-01-01", "", false, recent, "org-b"));
    patients.put("pt_label", patient("Black", "Hal", "1962-01-01", "", false, recent, "org-a", "R"));
    DetectionEngine e = engine(defaults());
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_fam"))).containsExactly("same-surname");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_addr"))).containsExactly("same-address");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_self"))).containsExactly("own-record");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_bob"))).containsExactly("coworker-record");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_dead"))).containsExactly("deceased-patient");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_old"))).containsExactly("no-recent-visit");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_away"))).containsExactly("outside-department");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_label"))).containsExactly("vip-record");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_vip"))).containsExactly("vip-record");
  }

  @Test
  void aRepeatIsSuppressedWithinTheWindowAndFiresAgainAfterIt() {
    DetectionEngine e = engine(defaults());
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10, "pt_vip"))).containsExactly("vip-record");
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10.plusSeconds(600), "pt_vip"))).isEmpty();
    assertThat(rules(e, TestEvents.read(ALICE, MONDAY_10.plusSeconds(3700), "pt_vip"))).containsExactly("vip-record");
  }

  @Test
  void afterHoursFiresOnWeekendsAndAtNightUnlessTheRoleIsExempt() {
    DetectionEngine e = engine(defaults());
    assertThat(rules(e, TestEvents.read(ALICE, Instant.parse("2026-11-30T22:00:00Z"), "pt_x"))).containsExactly("after-hours");
    assertThat(rules(e, TestEvents.read("carol", Instant.parse("2026-11-29T12:00:00Z"), "pt_x"))).containsExactly("after-hours");
    var nurses = new DetectionConfig(null, "UTC", "08:00-17:00", null, null, null,
        Map.of("after-hours", new DetectionConfig.RuleSettings(null, null, null, null, null, List.of("nurse"))));
    AuditEvent night = TestEvents.result("nina", Set.of("nurse"), "get_vital_signs", Instant.parse("2026-11-30T23:00:00Z"),
        "success", 4, "pt_x");
    assertThat(rules(engine(nurses), night)).isEmpty();
  }

  @Test
  void countingRulesFireAtTheirThresholds() {
    DetectionEngine e = engine(defaults());
    List<String> raised = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      raised.addAll(rules(e, TestEvents.read(ALICE, MONDAY_10.plusSeconds(i * 10L), "pt_n" + i)));
    }
    assertThat(raised).containsExactly("many-patients");
    raised.clear();
    for (int i = 0; i < 5; i++) {
      raised.addAll(rules(e, TestEvents.result("mallory", Set.of("front-desk"), "get_lab_results",
          MONDAY_10.plusSeconds(i * 30L), "forbidden", 0)));
    }
    assertThat(raised).containsExactly("repeated-denials");
    raised.clear();
    for (int i = 0; i < 3; i++) {
      raised.addAll(rules(e, TestEvents.result("dave", Set.of("clinician"), "break_the_glass",
          MONDAY_10.plusSeconds(i * 3600L), "break_the_glass_declared", 0, "pt_b" + i)));
    }
    assertThat(raised).containsExactly("break-the-glass-frequency");
    raised.clear();
    for (int i = 0; i < 15; i++) {
      raised.addAll(rules(e, TestEvents.result("erin", Set.of("billing"), "find_patient", MONDAY_10.plusSeconds(i * 20L),
          "success", 100, "pt_a" + i, "pt_b" + i)));
    }
    assertThat(raised).containsExactly("large-extract");
  }

  @Test
  void volumeAboveTheUsersOwnBaselineNeedsTwoHoursOfHistory() {
    DetectionEngine e = engine(defaults());
    List<String> raised = new ArrayList<>();
    // Two hours at 20 calls an hour on one patient, then 90 calls in the third hour.
    for (int h = 0; h < 2; h++) {
      for (int i = 0; i < 20; i++) {
        raised.addAll(rules(e, TestEvents.read(ALICE, MONDAY_10.plusSeconds(h * 3600L + i * 150L), "pt_v")));
      }
    }
    assertThat(raised).isEmpty();
    for (int i = 0; i < 90; i++) {
      raised.addAll(rules(e, TestEvents.read(ALICE, MONDAY_10.plusSeconds(7200 + i * 30L), "pt_v")));
    }
    assertThat(raised).containsExactly("volume-above-baseline");
  }

  @Test
  void refusalsAndIntentsDoNotOpenRecordsAndAlertEventsAreNotReEvaluated() {
    DetectionEngine e = engine(defaults());
    assertThat(rules(e, TestEvents.result(ALICE, Set.of("clinician"), "get_lab_results", MONDAY_10, "forbidden", 0, "pt_vip")))
        .isEmpty();
    Alert a = e.evaluate(TestEvents.read(ALICE, MONDAY_10, "pt_vip")).get(0);
    AuditEvent recorded = e.ledgerEvent(a);
    assertThat(recorded.phase()).isEqualTo(AuditEvent.Phase.ALERT);
    assertThat(recorded.tool()).isEqualTo("detect/vip-record");
    assertThat(recorded.sessionId()).isEqualTo(a.id());
    assertThat(recorded.patientRefs()).containsExactly("pt_vip");
    assertThat(e.evaluate(recorded)).isEmpty();
  }

  @Test
  void theEngineAppendsEachAlertToTheLedgerBeforeTheSinksSeeIt() throws Exception {
    List<Alert> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    DetectionEngine e = engine(defaults());
    e.subscribe(a -> {
      assertThat(ledger.events).anyMatch(ev -> a.id().equals(ev.sessionId()));
      seen.add(a);
    });
    var tap = new TappedAuditTrail(new TestEvents.ListTrail());
    e.start(tap);
    tap.append(TestEvents.read(ALICE, MONDAY_10, "pt_vip"));
    assertThat(e.awaitIdle(Duration.ofSeconds(10))).isTrue();
    e.close();
    assertThat(seen).extracting(Alert::rule).containsExactly("vip-record");
    assertThat(ledger.events).extracting(AuditEvent::phase).containsExactly(AuditEvent.Phase.ALERT);
  }

  @Test
  void invalidKeysAreNamed() {
    var bad = new DetectionConfig(null, "Mars/Olympus", "7-19", List.of("FUNDAY"), null, null,
        Map.of("nope", new DetectionConfig.RuleSettings(null, null, null, null, null, null),
            "many-patients", new DetectionConfig.RuleSettings(null, "urgent", 0, 0, 0.5, null)));
    assertThat(bad.errors()).contains("detection.zone: not an IANA time zone", "detection.workingHours: must be HH:mm-HH:mm",
        "detection.workingDays: must be day names such as MONDAY", "detection.rules.nope: unknown rule",
        "detection.rules.many-patients.severity: must be low, medium, high or critical",
        "detection.rules.many-patients.threshold: must be at least 1",
        "detection.rules.many-patients.windowMinutes: must be 1..10080",
        "detection.rules.many-patients.factor: must be at least 1");
    assertThat(defaults().errors()).isEmpty();
  }
}
