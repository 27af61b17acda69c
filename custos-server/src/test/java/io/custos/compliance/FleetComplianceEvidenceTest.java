package io.custos.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.phi.scan.PhiScanResult;
import io.custos.state.PostgresStateStore;
import io.custos.testing.EmbeddedPostgresExtension;
import io.custos.verify.JdbcLedger;
import io.custos.verify.VerificationReport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A fleet's compliance evidence comes from its databases (a real embedded PostgreSQL), not a replica's directory. */
class FleetComplianceEvidenceTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path data;

  private PhiScanResult scan(String replica, Instant at, long findings) {
    return new PhiScanResult(at, 4, 900, 0, 55, findings, List.of(),
        PhiScanResult.Coverage.of(List.of(data.toString()), 2).withServerFiles(true, true).withReplica(replica));
  }

  @Test
  void aReplicasPassingScanDoesNotEraseAnotherReplicasFailingOne() throws Exception {
    String url = PG.freshDatabase();
    try (PostgresStateStore state = PostgresStateStore.builder().clock(Clock.systemUTC()).jdbc(url, "postgres", Optional.empty())
        .build()) {
      SharedEvidence shared = new SharedEvidence(state.dataSource());
      Instant now = Instant.now();
      shared.savePhiScan(scan("replica-b", now.minusSeconds(60), 3));
      shared.savePhiScan(scan("replica-a", now, 0));
      assertThat(shared.latestPhiScans()).extracting(r -> r.coverage().replica().orElseThrow(), PhiScanResult::findings)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("replica-a", 0L), org.assertj.core.groups.Tuple.tuple("replica-b", 3L));
      var sources = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl")).withFleet(() -> JdbcLedger.connect(url), shared);
      ComplianceReport r = ComplianceChecks.run(io.custos.config.CustosConfig.load(java.nio.file.Files.writeString(
          data.resolve("custos.yaml"), """
          server: {host: 127.0.0.1, port: 0, tls: plain}
          upstream: {baseUrl: "http://127.0.0.1:1/fhir"}
          identity: {mode: development}
          dataDir: "%s"
          """.formatted(data))),
          ComplianceEvidence.gather(sources, now), "test");
      ComplianceReport.Check audit = r.checks().stream().filter(c -> c.id().equals("audit-controls")).findFirst().orElseThrow();
      assertThat(audit.passed()).isFalse();
      assertThat(audit.evidence()).anySatisfy(e -> assertThat(e).startsWith("last PHI scan of replica replica-a: PASS"))
          .anySatisfy(e -> assertThat(e).startsWith("last PHI scan of replica replica-b: FAIL, 3 finding(s)"));
      assertThat(r.facts().phiScan()).hasValueSatisfying(s -> assertThat(s.coverage().replica()).contains("replica-b"));

      shared.savePhiScan(scan("replica-b", now, 0));
      assertThat(shared.latestPhiScans()).hasSize(2).allSatisfy(s -> assertThat(s.passed()).isTrue());
      assertThat(ComplianceChecks.run(io.custos.config.CustosConfig.load(data.resolve("custos.yaml")),
          ComplianceEvidence.gather(sources, now.plus(java.time.Duration.ofDays(8))), "test").checks())
          .filteredOn(c -> c.id().equals("de-identification")).singleElement()
          .satisfies(c -> assertThat(c.evidence()).filteredOn(e -> e.contains("STALE")).hasSize(2));

      assertThat(shared.forgetStalePhiScan("replica-b", now)).as("a recent record is evidence: not removable").isFalse();
      assertThat(shared.forgetStalePhiScan("replica-b", now.plus(java.time.Duration.ofDays(8)))).isTrue();
      assertThat(shared.latestPhiScans()).extracting(s -> s.coverage().replica().orElseThrow()).containsExactly("replica-a");
    }
  }

  @Test
  void theLedgerAndTheLastPhiScanAreReadFromTheFleetDatabase() throws Exception {
    String url = PG.freshDatabase();
    var keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    try (MerkleLedger ledger = MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), data.resolve("ledger"), keys,
        LedgerOptions.defaults(), Clock.systemUTC())) {
      for (int i = 0; i < 3; i++) {
        ledger.append(new AuditEvent("e" + i, "c" + i, Instant.now(), AuditEvent.Phase.RESULT, "alice", null, "app", null, null,
            Set.of("clinician"), "get_medications", "MedicationRequest", List.of("p1"), null, "success", 1, null, 0, "stdio",
            "t"));
      }
      ledger.checkpointNow();
    }
    try (PostgresStateStore state = PostgresStateStore.builder().clock(Clock.systemUTC()).jdbc(url, "postgres", Optional.empty())
        .build()) {
      SharedEvidence shared = new SharedEvidence(state.dataSource());
      assertThat(shared.latestPhiScans()).isEmpty();
      PhiScanResult scan = scan("replica-a", Instant.parse("2026-11-29T08:00:00Z"), 0);
      shared.savePhiScan(scan);
      var local = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
      ComplianceChecks.Evidence fromDirectory = ComplianceEvidence.gather(local, Instant.now());
      assertThat(fromDirectory.verification().map(VerificationReport::entries).orElse(0L))
          .as("the replica's directory holds no entries").isZero();
      assertThat(fromDirectory.phiScans()).isEmpty();

      ComplianceChecks.Evidence fleet = ComplianceEvidence.gather(
          local.withFleet(() -> JdbcLedger.connect(url), shared), Instant.now());
      assertThat(fleet.verification()).hasValueSatisfying(v -> {
        assertThat(v.entries()).isEqualTo(3);
        assertThat(v.ok()).isTrue();
      });
      assertThat(fleet.lastCheckpoint()).hasValueSatisfying(cp -> assertThat(cp.treeSize()).isEqualTo(3));
      assertThat(fleet.phiScans()).containsExactly(scan);
      assertThat(fleet.tokenMap()).as("the token map is in the fleet database").isTrue();
    }
  }
}
