package io.custos.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.config.CustosConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import io.custos.phi.scan.PhiScanResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compliance report: each standard against live configuration and a real ledger, in its three formats. */
class ComplianceReportTest {
  private static final List<String> STANDARDS = List.of("45 CFR 164.312(a)(1)", "45 CFR 164.312(a)(2)(i)",
      "45 CFR 164.312(a)(2)(ii)", "45 CFR 164.312(a)(2)(iii)", "45 CFR 164.312(a)(2)(iv)", "45 CFR 164.312(b)",
      "45 CFR 164.312(c)(1)", "45 CFR 164.312(d)", "45 CFR 164.312(e)(1)", "45 CFR 164.308(a)(1)(ii)(D)", "45 CFR 164.308(a)(6)",
      "45 CFR 164.514(b)", "45 CFR 164.514(d)", "45 CFR 164.528", "45 CFR 164.316(b)(2)");

  @TempDir Path data;

  private CustosConfig config(String tls, String mode, int idleMinutes) {
    return new CustosConfig(new CustosConfig.Server("127.0.0.1", 8443, tls, List.of(), List.of(), null),
        new CustosConfig.Upstream("http://127.0.0.1:8080/fhir", 10),
        new CustosConfig.Identity(mode, "https://idp.example.org", "https://idp.example.org/jwks", "https://custos.example.org/mcp",
            null, null, null, null, null, null, null, idleMinutes),
        new CustosConfig.Policy(null, true, null, null, null), null, data.toString()).withDefaults();
  }

  private void ledgerWithOneEvent() throws Exception {
    var keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    for (String k : List.of("pseudonym.key", "research.key")) {
      Files.write(data.resolve("keys").resolve(k), new byte[32]);
    }
    try (MerkleLedger ledger = MerkleLedger.open(data.resolve("ledger"), keys)) {
      ledger.append(new AuditEvent("e1", "c1", Instant.now(), AuditEvent.Phase.RESULT, "alice", null, "app", null, null,
          Set.of("clinician"), "get_medications", "MedicationRequest", List.of("p1"), null, "success", 1, null, 0, "stdio", "t"));
      ledger.checkpointNow();
    }
    Files.writeString(data.resolve("ledger").resolve("token-map.enc"), "");
    Files.writeString(data.resolve("alerts.jsonl"), "");
    phiScan(Instant.now(), 0);
  }

  private void phiScan(Instant at, long findings) throws Exception {
    scanOfTheDataDirectory(at, findings).save(data);
  }

  /** A scan of the data directory and the alert log that read 120 lines and skipped nothing. */
  private PhiScanResult scanOfTheDataDirectory(Instant at, long findings) {
    return new PhiScanResult(at, 3, 120, 0, 40, findings, List.of(),
        PhiScanResult.Coverage.of(List.of(data.toString()), 2).withServerFiles(true, true));
  }

  private List<String> failing(ComplianceReport r) {
    return r.checks().stream().filter(c -> !c.passed()).map(ComplianceReport.Check::id).toList();
  }

  private ComplianceReport hardened(ComplianceEvidence.Sources sources) {
    return ComplianceChecks.run(config("tls13", "oauth", 15), ComplianceEvidence.gather(sources, Instant.now()), "test");
  }

  @Test
  void aHardenedConfigurationWithAVerifiedLedgerPassesEveryStandard() throws Exception {
    ledgerWithOneEvent();
    ComplianceReport r = ComplianceChecks.run(config("tls13", "oauth", 15),
        ComplianceEvidence.gather(data, data.resolve("alerts.jsonl"), Instant.now()), "test");
    assertThat(r.checks()).extracting(ComplianceReport.Check::standard).containsExactlyElementsOf(STANDARDS);
    assertThat(r.checks()).filteredOn(c -> !c.passed()).as("failing checks").isEmpty();
    assertThat(r.checks()).allSatisfy(c -> assertThat(c.fix()).isEmpty());
  }

  @Test
  void plainHttpDevelopmentIdentityLongIdleAndNoLedgerFailWithWhatToFix() {
    ComplianceReport r = ComplianceChecks.run(config("plain", "development", 30),
        ComplianceEvidence.gather(data, data.resolve("alerts.jsonl"), Instant.now()), "test");
    List<String> failing = new ArrayList<>();
    r.checks().stream().filter(c -> !c.passed()).forEach(c -> failing.add(c.id()));
    assertThat(failing).contains("transmission-security", "unique-user-identification", "automatic-logoff", "audit-controls",
        "authentication", "accounting-of-disclosures", "incident-procedures");
    assertThat(r.checks()).filteredOn(c -> !c.passed()).allSatisfy(c -> assertThat(c.fix()).isPresent());
    assertThat(r.checks()).filteredOn(c -> c.id().equals("transmission-security")).singleElement()
        .satisfies(c -> assertThat(c.fix().orElseThrow()).contains("server.tls"));
  }

  @Test
  void theJsonFieldNamesAreTheDocumentedOnes() throws Exception {
    ComplianceReport r = ComplianceChecks.run(config("plain", "development", 30),
        ComplianceEvidence.gather(data, data.resolve("alerts.jsonl"), Instant.now()), "test");
    JsonNode doc = new ObjectMapper().readTree(ComplianceDocuments.render(r, ComplianceDocuments.Format.JSON));
    assertThat(doc.fieldNames()).toIterable().containsExactly("schema", "generated_at", "server_version", "summary", "checks",
        "phi_scan", "phi_scans", "test_results", "witness");
    assertThat(doc.path("phi_scan").isNull()).as("no scan ran").isTrue();
    assertThat(doc.path("test_results").isArray()).isTrue();
    assertThat(doc.path("witness").fieldNames()).toIterable().containsExactly("configured", "last_tree_size", "last_witnessed_at");
    assertThat(doc.path("schema").asText()).isEqualTo(ComplianceReport.SCHEMA);
    assertThat(doc.path("summary").fieldNames()).toIterable().containsExactly("passed", "failed", "status");
    assertThat(doc.path("summary").path("status").asText()).isEqualTo("fail");
    assertThat(doc.path("checks").get(0).fieldNames()).toIterable()
        .containsExactly("id", "standard", "title", "status", "evidence", "fix");
    assertThat(doc.path("checks").findValuesAsText("status")).containsOnly("pass", "fail");
  }

  @Test
  void htmlAndPdfCarryEveryStandard() throws Exception {
    ComplianceReport r = ComplianceChecks.run(config("tls13", "oauth", 15),
        ComplianceEvidence.gather(data, data.resolve("alerts.jsonl"), Instant.now()), "test");
    String html = new String(ComplianceDocuments.render(r, ComplianceDocuments.Format.HTML), StandardCharsets.UTF_8);
    assertThat(html).contains(STANDARDS.toArray(String[]::new));
    byte[] pdf = ComplianceDocuments.render(r, ComplianceDocuments.Format.PDF);
    assertThat(new String(pdf, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("%PDF-");
    assertThat(pdf.length).isGreaterThan(2000);
  }

  @Test
  void aPhiScanNeverRunStaleOrWithFindingsFailsAuditControlsAndDeIdentification() throws Exception {
    ledgerWithOneEvent();
    ComplianceEvidence.Sources sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
    assertThat(failing(hardened(sources))).isEmpty();
    phiScan(Instant.now(), 2);
    ComplianceReport found = hardened(sources);
    assertThat(failing(found)).containsExactly("audit-controls", "de-identification");
    assertThat(found.checks().get(5).evidence()).anySatisfy(e -> assertThat(e).startsWith("last PHI scan: FAIL, 2 finding(s)"));
    phiScan(Instant.now().minus(java.time.Duration.ofDays(8)), 0);
    assertThat(failing(hardened(sources))).containsExactly("audit-controls", "de-identification");
    Files.delete(data.resolve(PhiScanResult.FILE));
    ComplianceReport never = hardened(sources);
    assertThat(failing(never)).containsExactly("audit-controls", "de-identification");
    assertThat(never.checks().get(5).evidence()).contains("last PHI scan: never run (custos phi scan)");
  }

  @Test
  void testReportsAddAnEvaluationCheckThatFailsOnAFailure() throws Exception {
    ledgerWithOneEvent();
    Path ok = Files.createDirectories(data.resolve("surefire-reports"));
    Files.writeString(ok.resolve("TEST-a.xml"), "<testsuite tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"2.0\">"
        + "<testcase name=\"a\"/><testcase name=\"b\"/><testcase name=\"c\"><skipped/></testcase></testsuite>");
    var sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl")).withTestReports(List.of(ok));
    ComplianceReport passing = hardened(sources);
    assertThat(passing.checks()).filteredOn(c -> c.id().equals("evaluation")).singleElement().satisfies(c -> {
      assertThat(c.standard()).isEqualTo("45 CFR 164.308(a)(8)");
      assertThat(c.passed()).isTrue();
      assertThat(c.evidence()).singleElement().asString().contains("5 tests (3 test case elements), 0 failures, 0 errors, 1 skipped");
    });
    JsonNode doc = new ObjectMapper().readTree(ComplianceDocuments.render(passing, ComplianceDocuments.Format.JSON));
    assertThat(doc.path("test_results").get(0).fieldNames()).toIterable().containsExactly("group", "reports", "tests",
        "failures", "errors", "skipped", "time_seconds", "newest_report", "testcases", "invalid_counts", "status");
    assertThat(doc.path("test_results").get(0).path("tests").asLong()).isEqualTo(5);
    assertThat(doc.path("phi_scan").path("status").asText()).isEqualTo("pass");
    Path bad = Files.createDirectories(data.resolve("failsafe-reports"));
    Files.writeString(bad.resolve("TEST-b.xml"), "<testsuite tests=\"2\" failures=\"0\" errors=\"1\"/>");
    assertThat(failing(hardened(sources.withTestReports(List.of(ok, bad))))).containsExactly("evaluation");
  }

  @Test
  void keyAgesComeFromTheCreationRecordAndFallBackToFileTimesWithANote() throws Exception {
    ledgerWithOneEvent();
    Path keys = data.resolve("keys");
    Instant old = Instant.now().minus(java.time.Duration.ofDays(400));
    io.custos.audit.ledger.KeyCreation.record(keys, List.of(io.custos.audit.ledger.LocalKeySource.LEDGER_KEYSET), old);
    var sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
    ComplianceReport r = hardened(sources);
    assertThat(failing(r)).as("a 400-day-old ledger key is due for rotation, whatever its file time").containsExactly(
        "documentation-retention");
    ComplianceReport.Check retention = r.checks().get(r.checks().size() - 1);
    assertThat(retention.evidence()).contains("oldest key: 400 days old")
        .anySatisfy(e -> assertThat(e).contains("file modification times").contains("pseudonym").contains("research")
            .doesNotContain("ledger"));
    io.custos.audit.ledger.LocalKeySource.rotate(keys, java.util.Optional.empty());
    assertThat(failing(hardened(sources))).isEmpty();
  }

  @Test
  void theWitnessIsShownAndAWitnessedLedgerVerifiesAgainstIt() throws Exception {
    Path witness = data.resolve("witness");
    var keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    try (MerkleLedger ledger = MerkleLedger.open(data.resolve("ledger"), keys,
        io.custos.audit.ledger.LedgerOptions.defaults().withWitness(witness))) {
      ledger.append(new AuditEvent("e1", "c1", Instant.now(), AuditEvent.Phase.RESULT, "alice", null, "app", null, null,
          Set.of("clinician"), "get_medications", "MedicationRequest", List.of("p1"), null, "success", 1, null, 0, "stdio", "t"));
      ledger.checkpointNow();
    }
    var sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
    ComplianceReport none = hardened(sources);
    assertThat(none.checks().get(6).evidence()).contains("no witness configured (ledger.witnessDir)");
    ComplianceReport seen = hardened(sources.withWitness(java.util.Optional.of(witness)));
    assertThat(seen.checks().get(6).evidence()).anySatisfy(e -> assertThat(e)
        .startsWith("witness configured: last witnessed checkpoint size 1, "));
    assertThat(seen.facts().witness().last()).isPresent();
    assertThat(seen.checks().get(5).evidence().get(0)).contains("+1 witness");
  }

  @Test
  void anInconclusiveScanOrOneWithoutTheDataDirectoryFailsWithWhatToDo() throws Exception {
    ledgerWithOneEvent();
    var sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
    PhiScanResult clean = scanOfTheDataDirectory(Instant.now(), 0);
    clean.with(clean.coverage().withServerFiles(false, false)).save(data);
    ComplianceReport noDataDir = hardened(sources);
    assertThat(failing(noDataDir)).containsExactly("audit-controls", "de-identification");
    assertThat(noDataDir.checks().get(5).evidence()).anySatisfy(e -> assertThat(e)
        .startsWith("last PHI scan: INCONCLUSIVE").contains("data directory NOT included", "the data directory was not scanned"));
    assertThat(noDataDir.checks().get(5).fix().orElseThrow()).contains("inconclusive", "--no-data-dir", "UTF-16");

    new PhiScanResult(Instant.now(), 3, 120, 1, 40, 0, List.of(), clean.coverage()).save(data);
    assertThat(failing(hardened(sources))).as("a file not read").containsExactly("audit-controls", "de-identification");
    clean.with(clean.coverage().withPatientLimitReached(true)).save(data);
    ComplianceReport capped = hardened(sources);
    assertThat(failing(capped)).as("--max-patients reached").containsExactly("audit-controls", "de-identification");
    JsonNode doc = new ObjectMapper().readTree(ComplianceDocuments.render(capped, ComplianceDocuments.Format.JSON));
    assertThat(doc.path("phi_scan").path("status").asText()).isEqualTo("inconclusive");
    assertThat(doc.path("phi_scan").path("inconclusive").get(0).asText()).contains("--max-patients");
    new PhiScanResult(Instant.now(), 0, 0, 0, 40, 0, List.of(), clean.coverage()).save(data);
    assertThat(failing(hardened(sources))).as("no line read").containsExactly("audit-controls", "de-identification");
    clean.save(data);
    assertThat(failing(hardened(sources))).isEmpty();
  }
}
