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
      assertThat(shared.lastPhiScan()).isEmpty();
      PhiScanResult scan = new PhiScanResult(Instant.parse("2026-11-29T08:00:00Z"), 4, 900, 2, 55, 0, List.of());
      shared.savePhiScan(scan);
      var local = ComplianceEvidence.Sources.of(data, data.resolve("alerts.jsonl"));
      ComplianceChecks.Evidence fromDirectory = ComplianceEvidence.gather(local, Instant.now());
      assertThat(fromDirectory.verification().map(VerificationReport::entries).orElse(0L))
          .as("the replica's directory holds no entries").isZero();
      assertThat(fromDirectory.phiScan()).isEmpty();

      ComplianceChecks.Evidence fleet = ComplianceEvidence.gather(
          local.withFleet(() -> JdbcLedger.connect(url), shared), Instant.now());
      assertThat(fleet.verification()).hasValueSatisfying(v -> {
        assertThat(v.entries()).isEqualTo(3);
        assertThat(v.ok()).isTrue();
      });
      assertThat(fleet.lastCheckpoint()).hasValueSatisfying(cp -> assertThat(cp.treeSize()).isEqualTo(3));
      assertThat(fleet.phiScan()).contains(scan);
      assertThat(fleet.tokenMap()).as("the token map is in the fleet database").isTrue();
    }
  }
}
