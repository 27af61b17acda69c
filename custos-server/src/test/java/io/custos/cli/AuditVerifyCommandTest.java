package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.CheckpointSigner;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import io.custos.verify.checkpoint.SignedNote;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos audit verify|prove} with the ledger's C2SP verifier key: the same check the stand-alone module runs. */
class AuditVerifyCommandTest {
  @TempDir Path tmp;
  private Path ledger;
  private Path vkey;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void writeLedger() throws Exception {
    ledger = tmp.resolve("ledger");
    try (MerkleLedger l = MerkleLedger.open(ledger, LocalKeySource.openOrCreate(tmp.resolve("keys")),
        LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1)))) {
      for (int i = 0; i < 5; i++) {
        l.append(new AuditEvent("event-" + i, "call-" + i, Instant.now(), AuditEvent.Phase.INTENT, "dr-alice", "Practitioner/p1",
            "agent-client", "session-1", "tokhash", Set.of("clinician"), "get_medications", "MedicationRequest", List.of(),
            "patient/MedicationRequest.rs", "success", 0, null, 1, "127.0.0.1", "0.1.0"));
      }
      l.checkpointNow();
    }
    vkey = ledger.resolve(CheckpointSigner.VKEY_FILE);
  }

  private int run(String... args) {
    out.reset();
    return CliRun.capturingOut(out, args);
  }

  @Test
  void verifyWithTheVerifierKeyNamesTheOriginAndTamperingExitsTwo() throws Exception {
    String origin = NoteKey.parseVkey(Files.readString(vkey).strip()).name();
    assertThat(run("audit", "verify", "--ledger", ledger.toString(), "--public-key", vkey.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ledger OK: 5 entries").contains("origin " + origin);

    Path seg = ledger.resolve("segment-00000000000000000000.seg");
    byte[] b = Files.readAllBytes(seg);
    b[b.length - 3] ^= 1;
    Files.write(seg, b);
    assertThat(run("audit", "verify", "--ledger", ledger.toString(), "--public-key", vkey.toString())).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("TAMPERED").contains("ledger FAILED");
  }

  @Test
  void proofCarriesTheSignedNoteThatAStandardVerifierChecks() throws Exception {
    assertThat(run("audit", "prove", "--ledger", ledger.toString(), "--public-key", vkey.toString(), "event-2")).isZero();
    JsonNode proof = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    SignedNote note = SignedNote.parse(proof.get("checkpoint").asText());
    assertThat(NoteKey.parseVkey(Files.readString(vkey).strip()).verifies(note)).isTrue();
    assertThat(NoteCheckpoint.parse(note).treeSize()).isEqualTo(5);
    assertThat(proof.get("leafIndex").asLong()).isEqualTo(2);
  }
}
