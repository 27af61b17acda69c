package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos audit export} for a SIEM: RFC 5424 structured data and CEF, once and following new events. */
class AuditExportSiemTest {
  @TempDir
  Path tmp;

  private static AuditEvent event(String tool, String outcome, String pseudonym) {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
        Instant.parse("2026-11-29T10:15:30Z"), AuditEvent.Phase.RESULT, "dr-alice", "Practitioner/p1", "agent-client",
        "session-1", "tokhash", Set.of("clinician"), tool, "Condition", List.of(pseudonym), "patient/Condition.rs",
        outcome, 2, "cd".repeat(32), 900, "10.0.0.7", "0.1.0");
  }

  private Path ledgerWith(AuditEvent... events) throws Exception {
    Path dir = tmp.resolve("ledger");
    try (MerkleLedger ledger = MerkleLedger.open(dir, LocalKeySource.openOrCreate(tmp.resolve("keys")))) {
      for (AuditEvent e : events) {
        ledger.append(e);
      }
    }
    return dir;
  }

  @Test
  void rfc5424LinesCarryTheEventAsStructuredData() throws Exception {
    AuditEvent e = event("get_active_conditions", "success", "pt_aaaa");
    Path ledger = ledgerWith(e, event("get_medications", "consent", "pt_bbbb"));
    Path out = tmp.resolve("audit.log");
    assertThat(CliRun.capturingOut(new ByteArrayOutputStream(), "audit", "export", "--ledger", ledger.toString(),
        "--format", "rfc5424", "--hostname", "custos-1", "--out", out.toString())).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(2);
    // authpriv (10) * 8 + informational (6) = 86 for a success; notice (5) = 85 otherwise.
    assertThat(lines.get(0)).startsWith("<86>1 2026-11-29T10:15:30.000Z custos-1 custos - RESULT [custosAudit@32473 ledgerIndex=\"0\" eventId=\""
        + e.eventId() + "\"").contains("user=\"dr-alice\"", "tool=\"get_active_conditions\"", "patient=\"pt_aaaa\"",
        "outcome=\"success\"", "purposeOfUse=\"TREAT\"");
    assertThat(lines.get(1)).startsWith("<85>1 ").contains("ledgerIndex=\"1\"", "outcome=\"consent\"");
  }

  @Test
  void cefLinesEscapeTheirSeparators() throws Exception {
    Path ledger = ledgerWith(event("get_active_conditions", "success", "pt_aaaa"), event("x|y=z", "consent", "pt_bbbb"));
    Path out = tmp.resolve("audit.cef");
    assertThat(CliRun.capturingOut(new ByteArrayOutputStream(), "audit", "export", "--ledger", ledger.toString(),
        "--format", "cef", "--out", out.toString())).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines.get(0)).startsWith("CEF:0|Custos|Custos|0.1.0|RESULT:success|get_active_conditions RESULT|1|rt=" + Instant.parse("2026-11-29T10:15:30Z").toEpochMilli() + " ")
        .contains(" suser=dr-alice ", " cs2=pt_aaaa ", " cn1=0");
    assertThat(lines.get(1)).contains("|x\\|y=z RESULT|5|", " act=x|y\\=z ", " outcome=consent ");
  }

  @Test
  void followAppendsEventsWrittenAfterTheExportStarted() throws Exception {
    Path ledger = ledgerWith(event("get_active_conditions", "success", "pt_aaaa"));
    Path out = tmp.resolve("follow.jsonl");
    Thread follower = Thread.ofPlatform().daemon(true).start(() -> CliRun.capturingOut(new ByteArrayOutputStream(),
        "audit", "export", "--ledger", ledger.toString(), "--format", "jsonl", "--follow", "--interval", "1",
        "--out", out.toString()));
    try {
      awaitLines(out, 1);
      AuditEvent later = event("get_medications", "success", "pt_cccc");
      try (MerkleLedger l = MerkleLedger.open(ledger, LocalKeySource.open(tmp.resolve("keys")))) {
        l.append(later);
      }
      List<String> lines = awaitLines(out, 2);
      assertThat(lines.get(1)).contains(later.eventId(), "\"ledgerIndex\":1");
    } finally {
      follower.interrupt();
      follower.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  private static List<String> awaitLines(Path file, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        List<String> lines = Files.readAllLines(file);
        if (lines.size() >= n) {
          return lines;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("fewer than " + n + " exported line(s) within 20 s");
  }
}
