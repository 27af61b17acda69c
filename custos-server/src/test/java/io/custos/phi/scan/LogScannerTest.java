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
    PhiScanResult r = new LogScanner(patient()).scan(List.of(dir), CLOCK, Set.of());
    assertThat(r.passed()).isTrue();
    assertThat(r.identifiers()).isEqualTo(8);
    r.save(dir);
    assertThat(PhiScanResult.load(dir)).contains(r);
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
}
