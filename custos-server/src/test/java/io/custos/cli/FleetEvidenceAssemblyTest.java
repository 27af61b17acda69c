package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.compliance.ComplianceReport;
import io.custos.compliance.SharedEvidence;
import io.custos.config.CustosConfig;
import io.custos.console.PostgresAlertLog;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.phi.scan.PhiScanResult;
import io.custos.policy.AlertSink;
import io.custos.testing.EmbeddedPostgresExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * With {@code database:} the composition root shares the console's alerts and the compliance evidence through the
 * fleet's database (a real embedded PostgreSQL), by the switch that puts the state there.
 */
class FleetEvidenceAssemblyTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path dir;

  @Test
  void aReplicasAlertsAndItsComplianceEvidenceAreInTheFleetDatabase() throws Exception {
    String url = PG.freshDatabase();
    Path password = Files.writeString(dir.resolve("password"), "postgres\n");
    try (EmbeddedFhirStore store = EmbeddedFhirStore.builder()
        .dataDirectory(Path.of("src/test/resources/fixtures/synthea").toAbsolutePath()).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start()) {
      Path config = Files.writeString(dir.resolve("custos.yaml"), """
          server: {host: 127.0.0.1, port: 0, tls: plain}
          upstream: {baseUrl: "%s"}
          identity: {mode: development}
          dataDir: "%s"
          database: {jdbcUrl: "%s", user: postgres, passwordFile: "%s", maxPoolSize: 2}
          """.formatted(store.baseUrl(), dir.resolve("data"), url.substring(0, url.indexOf('?')), password));
      PGSimpleDataSource db = new PGSimpleDataSource();
      db.setUrl(url);
      try (ServerAssembly app = new ServerAssembly(CustosConfig.load(config))) {
        app.alerts().alert(new AlertSink.Alert("fleet-a", "volume", AlertSink.Severity.HIGH, "dr-who", List.of("pz-1"),
            Instant.now(), Instant.now(), 12, List.of("ev-1"), "call-1"));
        assertThat(new PostgresAlertLog(db).recent(10)).extracting(AlertSink.Alert::id).containsExactly("fleet-a");

        new SharedEvidence(db).savePhiScan(new PhiScanResult(Instant.now(), 2, 10, 0, 30, 0, List.of(),
            PhiScanResult.Coverage.of(List.of(dir.resolve("data").toString()), 0).withServerFiles(true, false)
                .withReplica("custos-0")));
        ComplianceReport r = app.complianceReport();
        assertThat(r.facts().phiScan()).as("the scan recorded in the database, not in this replica's directory")
            .hasValueSatisfying(s -> assertThat(s.identifiers()).isEqualTo(30));
        assertThat(r.checks()).filteredOn(c -> c.id().equals("de-identification")).singleElement()
            .satisfies(c -> assertThat(c.evidence()).anySatisfy(e -> assertThat(e).startsWith("last PHI scan of replica custos-0: PASS")));
        var cli = CustosCli.commandLine();
        cli.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertThat(cli.execute("phi", "forget-replica", "--config", config.toString(), "custos-0"))
            .as("a recent scan record is kept").isEqualTo(1);
        assertThat(new SharedEvidence(db).latestPhiScans()).hasSize(1);
        assertThat(Files.exists(dir.resolve("data").resolve(PhiScanResult.FILE))).isFalse();
        assertThat(r.checks()).filteredOn(c -> c.id().equals("audit-controls")).singleElement()
            .satisfies(c -> assertThat(c.evidence().get(0)).doesNotContain("could not be read"));
      }
    }
  }
}
