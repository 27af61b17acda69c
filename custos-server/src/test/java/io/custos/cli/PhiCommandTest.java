package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.phi.scan.PhiScanResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos phi scan} against the fixture patients of an embedded FHIR store. */
class PhiCommandTest {
  private static EmbeddedFhirStore store;
  @TempDir Path work;

  @BeforeAll
  static void start() throws Exception {
    store = EmbeddedFhirStore.builder().dataDirectory(Path.of("src/test/resources/fixtures/synthea").toAbsolutePath())
        .port(0).referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
  }

  @AfterAll
  static void stop() {
    store.close();
  }

  private record Run(int status, String out, String err) {}

  private Run scan(String... extra) throws Exception {
    Path config = work.resolve("custos.yaml");
    Files.writeString(config, """
        server: {host: 127.0.0.1, port: 0, tls: plain}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        dataDir: "%s"
        """.formatted(store.baseUrl(), work.resolve("data")));
    Files.createDirectories(work.resolve("data"));
    var cli = CustosCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> args = new java.util.ArrayList<>(List.of("phi", "scan", "--config", config.toString()));
    args.addAll(List.of(extra));
    int rc = cli.execute(args.toArray(String[]::new));
    return new Run(rc, out.toString(), err.toString());
  }

  @Test
  void cleanLogsPassAndAPlantedIdentifierFailsWithItsLocationOnly() throws Exception {
    Path log = Files.writeString(work.resolve("custos.log"), "10:00:00 INFO io.custos call 3f2a ok\n10:00:01 WARN denied\n");
    Run clean = scan("--path", log.toString());
    assertThat(clean.status()).as(clean.err()).isZero();
    assertThat(clean.out()).contains("0 finding(s) in 1 file(s), 2 line(s)");
    PhiScanResult saved = PhiScanResult.load(work.resolve("data")).orElseThrow();
    assertThat(saved.passed()).isTrue();
    assertThat(saved.identifiers()).isGreaterThan(40);
    assertThat(saved.coverage().dataDir()).isTrue();
    assertThat(saved.coverage().roots()).contains(log.toAbsolutePath().toString(), work.resolve("data").toAbsolutePath().toString());
    assertThat(saved.coverage().replica()).isPresent();

    Patient p = store.repository().all("Patient").stream().map(Patient.class::cast).findFirst().orElseThrow();
    String family = p.getNameFirstRep().getFamily();
    Files.writeString(log, "10:00:02 WARN lookup failed for " + family + "\n", java.nio.file.StandardOpenOption.APPEND);
    Run found = scan("--path", log.toString());
    assertThat(found.status()).isEqualTo(PhiCommand.Scan.FOUND);
    assertThat(found.out()).contains(log.toAbsolutePath() + ":3: name", "1 finding(s)").doesNotContain(family);
    assertThat(PhiScanResult.load(work.resolve("data")).orElseThrow().findings()).isEqualTo(1);
  }

  @Test
  void aMissingPathIsRefused() throws Exception {
    Run r = scan("--path", work.resolve("absent.log").toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("no such file or directory");
  }

  @Test
  void aPatientLimitThatCutsTheUpstreamShortIsSaid() throws Exception {
    Path log = Files.writeString(work.resolve("custos.log"), "10:00:00 INFO ok\n");
    Run all = scan("--path", log.toString());
    Run two = scan("--path", log.toString(), "--max-patients", "2");
    assertThat(two.status()).as("cut short: inconclusive").isEqualTo(PhiCommand.Scan.INCONCLUSIVE);
    assertThat(PhiScanResult.load(work.resolve("data")).orElseThrow().status()).isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    assertThat(two.err()).contains("--max-patients 2 reached");
    assertThat(all.err()).doesNotContain("reached");
    assertThat(PhiScanResult.load(work.resolve("data")).orElseThrow().identifiers()).isLessThan(
        Integer.parseInt(all.out().replaceAll("(?s).*; (\\d+) identifier\\(s\\) searched.*", "$1")));
  }

  @Test
  void anEmptyFileWithoutTheDataDirectoryProvesNothing() throws Exception {
    Path empty = Files.writeString(work.resolve("empty.log"), "");
    Run r = scan("--no-data-dir", "--path", empty.toString(), "--replica", "custos-1");
    assertThat(r.status()).isEqualTo(PhiCommand.Scan.INCONCLUSIVE);
    assertThat(r.err()).contains("inconclusive", "the data directory was not scanned", "no line was read");
    PhiScanResult saved = PhiScanResult.load(work.resolve("data")).orElseThrow();
    assertThat(saved.status()).isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    assertThat(saved.coverage().roots()).containsExactly(empty.toAbsolutePath().toString());
    assertThat(saved.coverage().dataDir()).isFalse();
    assertThat(saved.coverage().replica()).contains("custos-1");
  }

  @Test
  void theServersEncryptedLedgerIsSealedButAnUnreadableLogInTheDataDirectoryIsNot() throws Exception {
    Path log = Files.writeString(work.resolve("custos.log"), "10:00:00 INFO ok\n");
    Path ledger = Files.createDirectories(work.resolve("data").resolve("ledger"));
    Files.write(ledger.resolve("segment-000001"), new byte[] {7, 0, 9});
    Run sealed = scan("--path", log.toString());
    assertThat(sealed.status()).as(sealed.err()).isZero();
    assertThat(sealed.out()).contains("0 file(s) not read; 1 sealed ledger or key file(s)");
    Files.write(work.resolve("data").resolve("export.log"), "Delmar".getBytes(java.nio.charset.StandardCharsets.UTF_16));
    assertThat(scan("--path", log.toString()).status()).isEqualTo(PhiCommand.Scan.INCONCLUSIVE);
  }
}
