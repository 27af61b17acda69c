package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.CheckpointLog;
import io.custos.verify.Finding;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.VerifyMain;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.LegacyCheckpoint;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints the server writes are C2SP signed notes that the stand-alone verifier module checks on its own. */
class SignedNoteCheckpointTest {
  @TempDir Path tmp;

  private Path writeLedger(LocalKeySource keys, Path dir, int entries) throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(dir, keys, LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1)))) {
      for (int i = 0; i < entries; i++) {
        ledger.append(LedgerFixtures.event());
      }
      ledger.checkpointNow();
    }
    return dir;
  }

  private static String verifyAlone(Path dir, Path key, int expectStatus) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = VerifyMain.run(new String[] {dir.toString(), "--public-key", key.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(printed).isEqualTo(expectStatus);
    return printed;
  }

  @Test
  void serverCheckpointIsAC2spCheckpointTheModuleVerifiesWithThePublishedVerifierKey() throws Exception {
    Path dir = writeLedger(LocalKeySource.openOrCreate(tmp.resolve("keys")), tmp.resolve("ledger"), 7);
    NoteKey vkey = NoteKey.parseVkey(Files.readString(dir.resolve(CheckpointSigner.VKEY_FILE)).strip());
    assertThat(vkey.name()).matches("custos/ledger/[0-9a-f]{32}");

    String log = Files.readString(dir.resolve(CheckpointLog.FILE), StandardCharsets.UTF_8);
    assertThat(log).matches("\\Q" + vkey.name() + "\\E\n7\n[A-Za-z0-9+/]{43}=\ntimestamp \\S+Z\n\n\u2014 \\Q" + vkey.name()
        + "\\E [A-Za-z0-9+/]{91}=\n\n");
    List<Checkpoint> cps = CheckpointLog.read(dir).checkpoints();
    assertThat(cps).singleElement().isInstanceOf(NoteCheckpoint.class);
    assertThat(((NoteCheckpoint) cps.get(0)).note().signatures().get(0).keyId()).isEqualTo(vkey.keyId());

    String printed = verifyAlone(dir, dir.resolve(CheckpointSigner.VKEY_FILE), VerifyMain.OK);
    assertThat(printed).contains("ledger OK: 7 entries, 1 checkpoints").contains("origin " + vkey.name());
  }

  @Test
  void originStaysTheSameAcrossRestarts() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    Path dir = writeLedger(keys, tmp.resolve("ledger"), 3);
    String vkey = Files.readString(dir.resolve(CheckpointSigner.VKEY_FILE));
    Files.delete(dir.resolve(CheckpointSigner.VKEY_FILE));
    writeLedger(keys, dir, 2);
    assertThat(Files.readString(dir.resolve(CheckpointSigner.VKEY_FILE))).as("origin recovered from the last checkpoint")
        .isEqualTo(vkey);
    writeLedger(keys, dir, 1);
    assertThat(CheckpointLog.read(dir).checkpoints()).hasSize(3).allSatisfy(c ->
        assertThat(((NoteCheckpoint) c).origin()).isEqualTo(NoteKey.parseVkey(vkey.strip()).name()));
    verifyAlone(dir, dir.resolve(CheckpointSigner.VKEY_FILE), VerifyMain.OK);
  }

  @Test
  void anotherKeyOrAnotherOriginIsRefused() throws Exception {
    Path dir = writeLedger(LocalKeySource.openOrCreate(tmp.resolve("keys")), tmp.resolve("ledger"), 4);
    NoteKey real = NoteKey.parseVkey(Files.readString(dir.resolve(CheckpointSigner.VKEY_FILE)).strip());
    NoteKey wrongKey = new NoteKey(real.name(), KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    NoteKey wrongOrigin = new NoteKey("custos/ledger/another", real.publicKey());
    for (NoteKey k : List.of(wrongKey, wrongOrigin)) {
      VerificationReport r = LedgerVerifier.verify(dir, CheckpointKey.of(k), Optional.empty());
      assertThat(r.findings()).extracting(Finding::kind).containsExactly(Finding.Kind.BAD_SIGNATURE);
      Path file = Files.writeString(tmp.resolve("other.vkey"), k.vkey());
      assertThat(verifyAlone(dir, file, VerifyMain.FINDINGS)).contains("TAMPERED BAD_SIGNATURE");
    }
  }

  @Test
  void reorderedSignedNotesInTheCheckpointLogAreNamed() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    Path dir = writeLedger(keys, tmp.resolve("ledger"), 3);
    writeLedger(keys, dir, 3);
    List<Checkpoint> cps = CheckpointLog.read(dir).checkpoints();
    assertThat(cps).extracting(Checkpoint::treeSize).containsExactly(3L, 6L);
    Files.writeString(dir.resolve(CheckpointLog.FILE), CheckpointLog.entry(cps.get(1)) + CheckpointLog.entry(cps.get(0)));
    VerificationReport r = LedgerVerifier.verify(dir, CheckpointKey.anyOrigin(keys.checkpointPublicKey()), Optional.empty());
    assertThat(r.findings()).anySatisfy(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_CHECKPOINT_LOG);
      assertThat(f.message()).contains("reordered");
    });
  }

  @Test
  void checkpointOfAnotherLedgerUnderTheSameKeyIsNamed() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    Path a = writeLedger(keys, tmp.resolve("a"), 3);
    Path b = writeLedger(keys, tmp.resolve("b"), 3);
    // b's checkpoint of size 3 is validly signed by the same key, but for another origin
    Files.writeString(a.resolve(CheckpointLog.FILE), Files.readString(b.resolve(CheckpointLog.FILE)), StandardOpenOption.APPEND);
    VerificationReport r = LedgerVerifier.verify(a, CheckpointKey.anyOrigin(keys.checkpointPublicKey()), Optional.empty());
    assertThat(r.findings()).anySatisfy(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_CHECKPOINT_LOG);
      assertThat(f.message()).contains("another ledger");
    });
  }

  @Test
  void legacyLedgerReopenedByTheServerKeepsItsOldCheckpointsAndAddsSignedNotes() throws Exception {
    Path fixture = Path.of("../custos-verify/src/test/resources/legacy-ledger");
    Path dir = Files.createDirectories(tmp.resolve("ledger"));
    try (Stream<Path> s = Files.list(fixture)) {
      for (Path p : s.toList()) {
        Files.copy(p, dir.resolve(p.getFileName()));
      }
    }
    Path keyDir = Files.createDirectories(tmp.resolve("keys"));
    try (Stream<Path> s = Files.list(Path.of("src/test/resources/legacy-ledger-keys"))) {
      for (Path p : s.toList()) {
        Files.copy(p, keyDir.resolve(p.getFileName()));
      }
    }
    writeLedger(LocalKeySource.open(keyDir), dir, 5);

    List<Checkpoint> cps = CheckpointLog.read(dir).checkpoints();
    assertThat(cps).hasSize(4);
    assertThat(cps.subList(0, 3)).allMatch(c -> c instanceof LegacyCheckpoint);
    assertThat(cps.get(3)).isInstanceOf(NoteCheckpoint.class);
    assertThat(cps.get(3).treeSize()).isEqualTo(20);
    assertThat(verifyAlone(dir, dir.resolve(CheckpointSigner.VKEY_FILE), VerifyMain.OK)).contains("ledger OK: 20 entries, 4 checkpoints");
    assertThat(verifyAlone(dir, dir.resolve(LocalKeySource.PUBLIC_KEY), VerifyMain.OK)).contains("ledger OK: 20 entries");
  }
}
