package io.custos.phi.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PHI scan: whole-word, case-insensitive search by identifier kind; locations only, never values. */
class LogScannerTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  private static PatientIdentifiers patient() {
    Patient p = new Patient();
    p.setId("pat-7f3a");
    p.addName().setFamily("Kautzer186").addGiven("Delmar187");
    p.addIdentifier().setValue("MRN-4471902");
    p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1961-03-14"));
    p.addAddress().addLine("742 Evergreen Terrace").setPostalCode("02134");
    p.addTelecom().setValue("555-867-5309");
    p.setGender(Enumerations.AdministrativeGender.MALE);
    return new PatientIdentifiers().addAll(List.of(p));
  }

  @Test
  void findsEachKindWithFileAndLineButNeverTheValue() throws Exception {
    Files.writeString(dir.resolve("server.log"), String.join("\n",
        "12:00:00 INFO call ok",
        "12:00:01 WARN lookup for KAUTZER186 failed",
        "12:00:02 INFO born 1961-03-14, phone 555-867-5309",
        "12:00:03 INFO at 742 evergreen terrace",
        "12:00:04 INFO id=MRN-4471902",
        "12:00:05 INFO Kautzer1860 and xDelmar187 are other words"));
    PhiScanResult r = new LogScanner(patient()).scan(List.of(dir), CLOCK, Set.of());
    assertThat(r.files()).isEqualTo(1);
    assertThat(r.lines()).isEqualTo(6);
    assertThat(r.findings()).isEqualTo(5);
    assertThat(r.locations()).extracting(PhiScanResult.Finding::line, PhiScanResult.Finding::kind).containsExactly(
        org.assertj.core.groups.Tuple.tuple(2L, IdentifierKind.NAME),
        org.assertj.core.groups.Tuple.tuple(3L, IdentifierKind.BIRTH_DATE),
        org.assertj.core.groups.Tuple.tuple(3L, IdentifierKind.TELECOM),
        org.assertj.core.groups.Tuple.tuple(4L, IdentifierKind.ADDRESS),
        org.assertj.core.groups.Tuple.tuple(5L, IdentifierKind.IDENTIFIER));
    assertThat(r.passed()).isFalse();
    r.save(dir.resolve("out"));
    String saved = Files.readString(dir.resolve("out").resolve(PhiScanResult.FILE));
    assertThat(saved).contains("\"status\" : \"fail\"", "\"kind\" : \"birth-date\"")
        .doesNotContain("Kautzer186", "KAUTZER186", "1961-03-14", "555-867-5309", "Evergreen", "MRN-4471902");
  }

  @Test
  void cleanTextPassesAndTheResultRoundTrips() throws Exception {
    Files.writeString(dir.resolve("alerts.jsonl"), "{\"rule\":\"volume\",\"patients\":[\"pz-0a1b\"]}\n");
    PhiScanResult scanned = new LogScanner(patient()).scan(List.of(dir), CLOCK, Set.of());
    assertThat(scanned.coverage().roots()).containsExactly(dir.toAbsolutePath().toString());
    assertThat(scanned.status()).as("the scanner alone does not know the data directory was covered")
        .isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    PhiScanResult r = scanned.with(scanned.coverage().withServerFiles(true, true).withReplica("custos-0"));
    assertThat(r.passed()).isTrue();
    assertThat(r.identifiers()).isEqualTo(8);
    r.save(dir);
    assertThat(PhiScanResult.load(dir)).contains(r);
    assertThat(Files.readString(dir.resolve(PhiScanResult.FILE))).contains("\"status\" : \"pass\"", "\"replica\" : \"custos-0\"",
        "\"data_dir\" : true", "\"alert_log\" : true", "\"inconclusive\" : [ ]");
  }

  @Test
  void readsRotatedGzipLogsAndSkipsBinaryAndExcludedFiles() throws Exception {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("server.log.1.gz")))) {
      out.write("old line\nDelmar187 again\n".getBytes(StandardCharsets.UTF_8));
    }
    Files.write(dir.resolve("segment.bin"), new byte[] {'D', 'e', 'l', 'm', 'a', 'r', '1', '8', '7', 0, 1});
    Files.writeString(dir.resolve("excluded.txt"), "Delmar187");
    PhiScanResult r = new LogScanner(patient()).scan(List.of(dir), CLOCK, Set.of(dir.resolve("excluded.txt")));
    assertThat(r.skipped()).isEqualTo(1);
    assertThat(r.files()).isEqualTo(1);
    assertThat(r.locations()).singleElement().satisfies(f -> {
      assertThat(f.file()).endsWith("server.log.1.gz");
      assertThat(f.line()).isEqualTo(2);
      assertThat(f.kind()).isEqualTo(IdentifierKind.NAME);
    });
  }

  @Test
  void noPreviousResultLoadsAsEmpty() throws Exception {
    assertThat(PhiScanResult.load(dir)).isEmpty();
  }

  @Test
  void filesThatCannotBeReadAsUtf8TextMakeTheResultInconclusiveButSealedStoresDoNot() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Files.writeString(logs.resolve("server.log"), "12:00:00 INFO ok\n");
    Files.write(logs.resolve("windows.log"), "Delmar187\r\n".getBytes(StandardCharsets.UTF_16)); // FE FF byte-order mark
    Files.write(logs.resolve("export.bz2"), "BZh91AY&SY Delmar187".getBytes(StandardCharsets.US_ASCII));
    Files.write(logs.resolve("export.zip"), "PK Delmar187".getBytes(StandardCharsets.US_ASCII));
    Files.write(logs.resolve("export.xz"), "7zXZ Delmar187".getBytes(StandardCharsets.US_ASCII));
    Path ledger = Files.createDirectories(dir.resolve("ledger"));
    Files.write(ledger.resolve("segment-0"), new byte[] {1, 0, 2});
    var scanner = new LogScanner(patient());
    PhiScanResult r = scanner.scan(List.of(dir), CLOCK, Set.of(), Set.of(ledger));
    assertThat(r.findings()).isZero();
    assertThat(r.skipped()).isEqualTo(4);
    assertThat(r.coverage().sealedFiles()).isEqualTo(1);
    PhiScanResult covered = r.with(r.coverage().withServerFiles(true, false));
    assertThat(covered.status()).isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    assertThat(covered.inconclusiveReasons()).singleElement().asString().startsWith("4 file(s) not read");
    assertThat(new String(covered.document(), StandardCharsets.UTF_8)).contains("\"status\" : \"inconclusive\"",
        "\"skipped_files\" : 4", "\"sealed_files\" : 1");

    Files.write(logs.resolve("little-endian.log"), "Delmar187".getBytes(StandardCharsets.UTF_16LE));
    assertThat(scanner.scan(List.of(logs), CLOCK, Set.of()).skipped()).as("NUL bytes without a byte-order mark").isEqualTo(5);
    assertThat(scanner.scan(List.of(ledger), CLOCK, Set.of()).skipped()).as("binary outside a sealed directory").isEqualTo(1);
  }

  @Test
  void aScanCutShortByThePatientLimitIsInconclusive() throws Exception {
    Files.writeString(dir.resolve("server.log"), "12:00:00 INFO ok\n");
    PhiScanResult r = new LogScanner(patient()).scan(List.of(dir), CLOCK, Set.of());
    PhiScanResult capped = r.with(r.coverage().withServerFiles(true, true).withPatientLimitReached(true));
    assertThat(capped.status()).isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    assertThat(PhiScanResult.parse(capped.document()).coverage().patientLimitReached()).isTrue();
  }

  @Test
  void aDocumentWithoutTheScopeFieldsReadsAsInconclusive() throws Exception {
    PhiScanResult old = PhiScanResult.parse("""
        {"schema": "custos.phi-scan/1", "scanned_at": "2026-11-29T12:00:00Z", "status": "pass", "files": 1, "lines": 9,
         "skipped_files": 0, "identifiers": 40, "findings": 0, "locations": []}""".getBytes(StandardCharsets.UTF_8));
    assertThat(old.status()).isEqualTo(PhiScanResult.Status.INCONCLUSIVE);
    assertThat(old.inconclusiveReasons()).containsExactly("the data directory was not scanned");
  }
}
