package io.custos.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.NoteKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyMainTest {
  @TempDir Path tmp;
  private Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void copyLedger() throws Exception {
    dir = LegacyLedger.copyTo(tmp.resolve("ledger"));
  }

  private int run(String... args) {
    return VerifyMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    assertThat(run("--help")).isEqualTo(VerifyMain.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("Usage: java -jar custos-verify.jar");
  }

  @Test
  void missingKeyOrUnknownOptionIsAUsageError() {
    assertThat(run(dir.toString())).isEqualTo(VerifyMain.USAGE);
    assertThat(run(dir.toString(), "--public-key")).isEqualTo(VerifyMain.USAGE);
    assertThat(run(dir.toString(), "--frobnicate")).isEqualTo(VerifyMain.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Usage:");
  }

  @Test
  void missingOrInvalidKeyFileIsAReadError() throws Exception {
    assertThat(run(dir.toString(), "--public-key", tmp.resolve("absent.vkey").toString())).isEqualTo(VerifyMain.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such file: ");
    Path garbage = Files.writeString(tmp.resolve("garbage.vkey"), "not a key\n");
    assertThat(run(dir.toString(), "--public-key", garbage.toString())).isEqualTo(VerifyMain.USAGE);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void untouchedLedgerExitsZeroWithASummary() {
    assertThat(run(dir.toString(), "--public-key", dir.resolve("checkpoint-public.pem").toString())).isEqualTo(VerifyMain.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ledger OK: 15 entries, 3 checkpoints");
  }

  @Test
  void aVerifierKeyFileIsAcceptedToo() throws Exception {
    NoteKey vkey = new NoteKey("custos/ledger/legacy", CheckpointKey.read(dir.resolve("checkpoint-public.pem")).publicKey());
    Path file = Files.writeString(tmp.resolve("checkpoint.vkey"), vkey.vkey() + "\n");
    assertThat(run(dir.toString(), "--public-key", file.toString())).isEqualTo(VerifyMain.OK);
  }

  @Test
  void tamperedLedgerExitsTwoAndNamesTheEntry() throws Exception {
    LegacyLedger.rewrite(dir, l -> {
      l.remove(9);
      return l;
    });
    assertThat(run(dir.toString(), "--public-key", dir.resolve("checkpoint-public.pem").toString())).isEqualTo(VerifyMain.FINDINGS);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("TAMPERED DELETED: entry 9 was deleted").contains("ledger FAILED");
  }
}
