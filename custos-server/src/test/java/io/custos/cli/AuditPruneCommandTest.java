package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.verify.PrunedRanges;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos audit prune} (45 CFR 164.316(b)(2)): refuses young segments, and a pruned ledger still verifies. */
class AuditPruneCommandTest {
  @TempDir Path tmp;

  int run(ByteArrayOutputStream out, String... args) {
    return CliRun.capturingOut(out, args);
  }

  /** A synthetic audit event with fresh ids, timestamped now. */
  static AuditEvent event() {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), Instant.now(),
        AuditEvent.Phase.INTENT, "dr-alice", "Practitioner/p1", "agent-client", "session-1", "tokhash", Set.of("clinician"),
        "get_medications", "MedicationRequest", List.of(), "patient/MedicationRequest.rs", "success", 0, null, 1, "127.0.0.1",
        "0.1.0");
  }

  /** Writes a ledger of six one-entry segments under {@code tmp}, with its keys in {@code tmp/keys}. */
  private Path writeLedger() throws Exception {
    Path ledger = tmp.resolve("ledger");
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    try (MerkleLedger l = MerkleLedger.open(ledger, keys, LedgerOptions.defaults().withSegmentBytes(1))) {
      for (int i = 0; i < 6; i++) {
        l.append(event());
      }
      l.checkpointNow();
    }
    return ledger;
  }

  @Test
  void retentionComesFromCustosYamlAndTheOptionOverridesIt() throws Exception {
    Path ledger = writeLedger();
    Path config = tmp.resolve("custos.yaml");
    Files.writeString(config, "upstream:\n  baseUrl: https://fhir.example.org/r4\nidentity:\n  mode: development\n"
        + "dataDir: " + tmp + "\nledger:\n  retentionDays: 10\n");
    String in11Days = Instant.now().plus(Duration.ofDays(11)).toString();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, "audit", "prune", "--ledger", ledger.toString(), "--config", config.toString(),
        "--retention-days", "2192", "--now", in11Days)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("pruned 0 segment(s)");

    out.reset();
    assertThat(run(out, "audit", "prune", "--ledger", ledger.toString(), "--config", config.toString(), "--now", in11Days))
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("pruned 6 segment(s), 6 entries");
    assertThat(PrunedRanges.read(ledger).ranges()).allSatisfy(r -> assertThat(r.retentionDays()).isEqualTo(10));
  }

  @Test
  void prunesOnlyPastRetentionAndVerifyStillPasses() throws Exception {
    Path ledger = writeLedger();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, "audit", "prune", "--ledger", ledger.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("pruned 0 segment(s)").contains("kept: ").contains("younger");

    out.reset();
    String later = Instant.now().plus(Duration.ofDays(2193)).toString();
    assertThat(run(out, "audit", "prune", "--ledger", ledger.toString(), "--now", later)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("6 entries");

    out.reset();
    assertThat(run(out, "audit", "verify", "--ledger", ledger.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ledger OK: 6 entries").contains("6 pruned");
  }
}
