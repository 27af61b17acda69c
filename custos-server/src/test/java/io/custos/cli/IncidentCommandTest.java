package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.alerting.AlertLogFile;
import io.custos.audit.AuditEvent;
import io.custos.audit.PatientPseudonyms;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.TokenMap;
import io.custos.auth.Caller;
import io.custos.incident.Incident;
import io.custos.incident.Incidents;
import io.custos.policy.AlertSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos incident}: an incident opened from the alert log is a ledger event naming pseudonyms only, with the
 * 60-day deadline and the four-factor assessment; re-identification needs a privacy officer with MFA and is audited.
 */
class IncidentCommandTest {
  @TempDir
  Path tmp;
  private Path data;
  private Path config;
  private LocalKeySource keys;
  private String mine;
  private String other;
  private AlertSink.Alert alert;

  @BeforeEach
  void setUp() throws Exception {
    data = tmp.resolve("data");
    keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    PatientPseudonyms pseudonyms = new PatientPseudonyms(new byte[32]);
    mine = pseudonyms.tokenize("pat-42");
    other = pseudonyms.tokenize("pat-43");
    Files.createDirectories(data.resolve("ledger"));
    try (TokenMap map = TokenMap.open(data.resolve("ledger").resolve(TokenMap.FILE), keys.tokenMapAead())) {
      map.remember(mine, "pat-42");
      map.remember(other, "pat-43");
    }
    alert = new AlertSink.Alert(java.util.UUID.randomUUID().toString(), "many-patients", AlertSink.Severity.HIGH,
        "clerk-9", List.of(mine, other), Instant.parse("2026-11-29T09:00:00Z"), Instant.parse("2026-11-29T09:30:00Z"),
        40, List.of("ev-1", "ev-2"), "call-1");
    new AlertLogFile(data.resolve("alerts.jsonl")).alert(alert);
    config = tmp.resolve("custos.yaml");
    Files.writeString(config, """
        upstream: {baseUrl: "http://127.0.0.1:9/fhir"}
        identity: {mode: development}
        dataDir: "%s"
        """.formatted(data));
  }

  private String run(int expected, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(CliRun.capturingOut(out, args)).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    return out.toString(StandardCharsets.UTF_8);
  }

  private String openIncident() {
    String out = run(0, "incident", "open", "--config", config.toString(), "--alert", alert.id(), "--operator", "po-1",
        "--nature", "demographics and diagnoses", "--recipient", "a registration clerk (workforce)");
    Matcher m = Pattern.compile("incident ([0-9a-f-]{36}) opened").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  private List<AuditEvent> ledger() throws Exception {
    List<AuditEvent> all = new ArrayList<>();
    LedgerEvents.forEach(data.resolve("ledger"), keys.ledgerAead(), s -> all.add(s.event()));
    return all;
  }

  @Test
  void openRecordsPseudonymsTheDeadlineAndTheAssessmentInTheLedgerAndReportRendersThem() throws Exception {
    String id = openIncident();
    Incident incident = new Incidents(data, keys, Clock.systemUTC()).read(id);
    assertThat(incident.patientPseudonyms()).containsExactly(mine, other);
    assertThat(incident.discoveredAt()).isEqualTo(Instant.parse("2026-11-29T09:30:00Z"));
    assertThat(incident.notificationDeadline()).isEqualTo(Instant.parse("2027-01-28T09:30:00Z"));
    assertThat(incident.riskAssessment().natureAndExtent()).isEqualTo("demographics and diagnoses");
    assertThat(incident.riskAssessment().conclusion()).isEqualTo(Incident.Conclusion.PENDING);
    AuditEvent opened = ledger().get(ledger().size() - 1);
    assertThat(opened.tool()).isEqualTo(Incidents.OPEN_TOOL);
    assertThat(opened.callId()).isEqualTo(id);
    assertThat(opened.patientRefs()).containsExactly(mine, other);
    assertThat(opened.resultSha256()).isEqualTo(java.util.HexFormat.of().formatHex(java.security.MessageDigest
        .getInstance("SHA-256").digest(Files.readAllBytes(data.resolve("incidents").resolve(id + ".json")))));

    Path reports = tmp.resolve("reports");
    String text = run(0, "incident", "report", "--config", config.toString(), "--incident", id, "--out", reports.toString());
    assertThat(text).contains("Notification deadline (164.404(b), 60 days): 2027-01-28T09:30:00Z",
        "(i) Nature and extent of the PHI: demographics and diagnoses", "Conclusion (164.402(2)): PENDING",
        Incidents.OPEN_TOOL + "  by po-1");
    String html = Files.readString(reports.resolve("incident-" + id + ".html"));
    assertThat(html).contains(mine).doesNotContain("pat-42", "pat-43");
    assertThat(Files.readString(reports.resolve("incident-" + id + ".json"))).contains("\"daysToDeadline\"")
        .doesNotContain("pat-42");
  }

  @Test
  void anAlertNotInTheLogOpensNothing() throws Exception {
    run(1, "incident", "open", "--config", config.toString(), "--alert", "00000000-0000-0000-0000-000000000000");
    assertThat(data.resolve("incidents")).doesNotExist();
  }

  @Test
  void reidentificationNeedsAPrivacyOfficerWithMfaAndIsAudited() throws Exception {
    String id = openIncident();
    Incidents incidents = new Incidents(data, keys, Clock.systemUTC());
    Instant exp = Instant.now().plusSeconds(300);
    Caller clinician = new Caller("dr-x", "console", Optional.empty(), Set.of("clinician"), Set.of(), Optional.empty(), true, "t1", exp);
    Caller officerWithoutMfa = new Caller("po-2", "console", Optional.empty(), Set.of(Incidents.PRIVACY_OFFICER), Set.of(),
        Optional.empty(), false, "t2", exp);
    Caller officer = new Caller("po-3", "console", Optional.empty(), Set.of(Incidents.PRIVACY_OFFICER), Set.of(),
        Optional.empty(), true, "t3", exp);
    int before = ledger().size();
    assertThatThrownBy(() -> incidents.reidentify(id, clinician)).isInstanceOf(Incidents.NotPermittedException.class)
        .hasMessageContaining("privacy-officer role");
    assertThatThrownBy(() -> incidents.reidentify(id, officerWithoutMfa)).isInstanceOf(Incidents.NotPermittedException.class)
        .hasMessageContaining("multi-factor");
    assertThat(ledger()).hasSize(before);

    Map<String, String> ids = incidents.reidentify(id, officer);
    assertThat(ids).containsExactly(Map.entry(mine, "pat-42"), Map.entry(other, "pat-43"));
    AuditEvent audited = ledger().get(ledger().size() - 1);
    assertThat(audited.tool()).isEqualTo(Incidents.REIDENTIFY_TOOL);
    assertThat(audited.subject()).isEqualTo("po-3");
    assertThat(audited.tokenIdHash()).isEqualTo("t3");
    assertThat(audited.patientRefs()).containsExactly(mine, other);
  }

  @Test
  void theCliRefusesReidentificationToATokenWithoutThePrivacyOfficerRole() throws Exception {
    String id = openIncident();
    Path out = tmp.resolve("ids.json");
    // Development identity: the caller is the local developer, a clinician.
    run(4, "incident", "reidentify", "--config", config.toString(), "--incident", id, "--out", out.toString());
    assertThat(out).doesNotExist();
    assertThat(ledger()).noneMatch(e -> e.tool().equals(Incidents.REIDENTIFY_TOOL));
  }
}
