package io.custos.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.checkpoint.LegacyCheckpoint;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointLogTest {
  @TempDir Path dir;
  private KeyPair kp;
  private NoteKey key;
  private String legacyLine;

  @BeforeEach
  void keys() throws Exception {
    kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    key = new NoteKey("custos/ledger/test", kp.getPublic());
    Path legacy = LegacyLedger.copyTo(dir.resolve("legacy"));
    legacyLine = Files.readAllLines(legacy.resolve(CheckpointLog.FILE)).get(0) + "\n";
  }

  private NoteCheckpoint note(long size) throws Exception {
    return NoteCheckpoint.sign(key, kp.getPrivate(), size, new byte[32], Instant.parse("2026-11-29T10:00:00Z"));
  }

  @Test
  void legacyLinesAndSignedNotesReadInFileOrder() throws Exception {
    Files.writeString(dir.resolve(CheckpointLog.FILE), legacyLine + CheckpointLog.entry(note(6)) + CheckpointLog.entry(note(7)), StandardCharsets.UTF_8);
    CheckpointLog.Contents c = CheckpointLog.read(dir);
    assertThat(c.problems()).isEmpty();
    assertThat(c.checkpoints()).hasSize(3);
    assertThat(c.checkpoints().get(0)).isInstanceOf(LegacyCheckpoint.class);
    assertThat(c.checkpoints()).extracting(cp -> cp.treeSize()).containsExactly(5L, 6L, 7L);
  }

  @Test
  void tornLastNoteIsIgnoredAndDroppedBeforeTheNextAppend() throws Exception {
    String whole = CheckpointLog.entry(note(6));
    String torn = CheckpointLog.entry(note(7));
    // cut inside the signature line: the crash came before the note was complete
    Files.writeString(dir.resolve(CheckpointLog.FILE), whole + torn.substring(0, torn.length() - 20), StandardCharsets.UTF_8);
    assertThat(CheckpointLog.read(dir).checkpoints()).hasSize(1);
    assertThat(CheckpointLog.read(dir).problems()).isEmpty();
    try (CheckpointLog log = CheckpointLog.open(dir)) {
      assertThat(Files.readString(dir.resolve(CheckpointLog.FILE))).isEqualTo(whole);
      log.append(note(8));
    }
    assertThat(CheckpointLog.read(dir).checkpoints()).extracting(cp -> cp.treeSize()).containsExactly(6L, 8L);
  }

  @Test
  void malformedNoteInTheMiddleIsReportedAndReadingGoesOn() throws Exception {
    String bad = CheckpointLog.entry(note(6)).replace("\u2014 ", "- ");
    Files.writeString(dir.resolve(CheckpointLog.FILE), CheckpointLog.entry(note(5)) + bad + CheckpointLog.entry(note(7)), StandardCharsets.UTF_8);
    CheckpointLog.Contents c = CheckpointLog.read(dir);
    assertThat(c.checkpoints()).extracting(cp -> cp.treeSize()).containsExactly(5L, 7L);
    assertThat(c.problems()).hasSize(1).first().asString().contains("not a valid signed-note checkpoint");
  }
}
