package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.verify.CheckpointLog;
import io.custos.verify.Finding;
import io.custos.verify.KeyTransitions;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.VerifyMain;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.KeyTransition;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos keys rotate} replaces the checkpoint key: the old key endorses the new one in a signed transition
 * statement, the ledger publishes it, and every checkpoint still verifies from the key the auditor pinned first.
 */
class CheckpointKeyRotationTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T1 = Instant.parse("2026-02-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2026-03-01T00:00:00Z");

  @TempDir Path tmp;
  Path dir;
  Path keysDir;
  Path pinned;
  final LedgerPrunerTest.SetClock clock = new LedgerPrunerTest.SetClock(T0);

  @BeforeEach
  void keys() throws Exception {
    dir = tmp.resolve("ledger");
    keysDir = tmp.resolve("keys");
    LocalKeySource.openOrCreate(keysDir);
    pinned = tmp.resolve("pinned.pem"); // what the auditor obtained out of band before any rotation
    Files.copy(keysDir.resolve(LocalKeySource.PUBLIC_KEY), pinned);
  }

  /** Opens the ledger at the clock's time, appends {@code n} events and signs a checkpoint. */
  void appendAndCheckpoint(Instant at, int n) throws Exception {
    clock.now = at;
    LedgerOptions o = LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1));
    try (MerkleLedger l = MerkleLedger.open(SegmentFileStore.open(dir, o.segmentBytes()), dir, LocalKeySource.open(keysDir), o,
        clock)) {
      for (int i = 0; i < n; i++) {
        l.append(LedgerFixtures.event());
      }
      l.checkpointNow();
    }
  }

  VerificationReport verifyPinned() throws Exception {
    return LedgerVerifier.verify(dir, CheckpointKey.read(pinned), Optional.empty());
  }

  PrivateKey currentPrivate() throws Exception {
    return LocalKeySource.open(keysDir).checkpointSigningKey();
  }

  @Test
  void rotatedTwiceEveryCheckpointVerifiesWithTheOriginalKeyAndRetiredPrivateKeysAreGone() throws Exception {
    byte[] firstPrivate = currentPrivate().getEncoded();
    appendAndCheckpoint(T0, 5);
    KeyTransition first = LocalKeySource.rotateCheckpointKey(keysDir, Optional.empty(), T1);
    byte[] secondPrivate = currentPrivate().getEncoded();
    appendAndCheckpoint(T1.plus(Duration.ofHours(1)), 5);
    LocalKeySource.rotateCheckpointKey(keysDir, Optional.empty(), T2);
    appendAndCheckpoint(T2.plus(Duration.ofHours(1)), 5);

    VerificationReport r = verifyPinned();
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.warnings()).isEmpty();
    assertThat(r.entries()).isEqualTo(15);
    assertThat(r.checkpoints()).isGreaterThanOrEqualTo(3);
    assertThat(r.unanchored()).isZero();
    // Three keys signed: the pinned one, and the two it endorsed in turn.
    List<Checkpoint> cps = CheckpointLog.read(dir).checkpoints();
    assertThat(cps.get(0).verifiedBy(CheckpointKey.read(pinned))).isTrue();
    assertThat(cps.get(cps.size() - 1).verifiedBy(CheckpointKey.read(pinned))).isFalse();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(VerifyMain.run(new String[] {dir.toString(), "--public-key", pinned.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isEqualTo(VerifyMain.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ledger OK: 15 entries");

    // Published beside the verifier key, identical to the key directory's statements.
    assertThat(Files.readString(dir.resolve(KeyTransitions.FILE))).isEqualTo(Files.readString(keysDir.resolve(KeyTransitions.FILE)));
    assertThat(KeyTransitions.read(dir).transitions()).hasSize(2).first().satisfies(t -> {
      assertThat(t.from()).isEqualTo(T1);
      assertThat(t.oldKey().publicKey()).isEqualTo(CheckpointKey.read(pinned).publicKey());
      assertThat(t.entry()).isEqualTo(first.entry());
    });

    try (Stream<Path> files = Files.list(keysDir)) {
      for (Path f : files.toList()) {
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(bytes).as(f.getFileName() + " holds a retired private key")
            .doesNotContain(new String(firstPrivate, StandardCharsets.ISO_8859_1))
            .doesNotContain(new String(secondPrivate, StandardCharsets.ISO_8859_1));
        assertThat(f.getFileName().toString()).doesNotEndWith(".next").doesNotEndWith(".tmp");
      }
    }
  }

  @Test
  void aRunningLedgerSwitchesToTheNewKeyAtItsNextCheckpoint() throws Exception {
    LedgerOptions o = LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1));
    try (MerkleLedger l = MerkleLedger.open(SegmentFileStore.open(dir, o.segmentBytes()), dir, LocalKeySource.open(keysDir), o,
        clock)) {
      l.append(LedgerFixtures.event());
      l.checkpointNow();
      LocalKeySource.rotateCheckpointKey(keysDir, Optional.empty(), T1);
      clock.now = T1.minusSeconds(5); // this host's clock runs behind the one that rotated
      l.append(LedgerFixtures.event());
      Checkpoint after = l.checkpointNow().orElseThrow();
      assertThat(after.timestamp()).as("raised into the new key's validity").isEqualTo(T1);
      assertThat(after.verifiedBy(CheckpointKey.anyOrigin(LocalKeySource.open(keysDir).checkpointPublicKey()))).isTrue();
      assertThat(KeyTransitions.read(dir).transitions()).hasSize(1);
    }
    VerificationReport r = verifyPinned();
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.entries()).isEqualTo(2);
  }

  @Test
  void aCheckpointSignedWithTheRetiredKeyAfterTheTransitionIsAFinding() throws Exception {
    PrivateKey retired = currentPrivate();
    appendAndCheckpoint(T0, 5);
    LocalKeySource.rotateCheckpointKey(keysDir, Optional.empty(), T1);
    appendAndCheckpoint(T1.plus(Duration.ofHours(1)), 5);
    assertThat(verifyPinned().ok()).isTrue();

    // Whoever kept a copy of the retired private key signs a tree head after its retirement.
    Checkpoint last = CheckpointLog.read(dir).checkpoints().getLast();
    NoteKey origin = new NoteKey(((NoteCheckpoint) last).origin(), CheckpointKey.read(pinned).publicKey());
    try (CheckpointLog log = CheckpointLog.open(dir)) {
      log.append(NoteCheckpoint.sign(origin, retired, last.treeSize(), last.rootHash(), T1.plus(Duration.ofHours(2))));
    }
    VerificationReport r = verifyPinned();
    assertThat(r.ok()).isFalse();
    assertThat(r.findings()).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.RETIRED_KEY);
      assertThat(f.message()).contains("a retired key signed after its retirement");
    });
  }

  @Test
  void aForgedTransitionInTheLedgerIsAFindingAndTheServerRefusesToSignUnderIt() throws Exception {
    appendAndCheckpoint(T0, 5);
    LocalKeySource.rotateCheckpointKey(keysDir, Optional.empty(), T1);
    appendAndCheckpoint(T1.plus(Duration.ofHours(1)), 5);

    // An attacker endorses their own key in the name of the current key, signing with a key nobody pinned.
    KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyTransition current = KeyTransitions.read(dir).transitions().getLast();
    KeyTransition forged = KeyTransition.parse(current.newKey().sign(KeyTransition.body(current.newKey().publicKey(),
        attacker.getPublic(), T2), attacker.getPrivate()));
    Files.writeString(dir.resolve(KeyTransitions.FILE), Files.readString(dir.resolve(KeyTransitions.FILE)) + forged.entry());

    VerificationReport r = verifyPinned();
    assertThat(r.findings()).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_KEY_TRANSITION);
      assertThat(f.message()).contains("key transition #2").contains("not signed by the key it retires");
    });
    assertThatThrownBy(() -> appendAndCheckpoint(T2.plus(Duration.ofHours(1)), 1)).isInstanceOf(LedgerCorruptException.class)
        .hasMessageContaining("key directory lacks");
  }

  @Test
  void aRotationCutShortBeforeItsStatementIsDiscarded() throws Exception {
    byte[] before = Files.readAllBytes(keysDir.resolve(LocalKeySource.SIGNING_KEY));
    // The new pair was written but the crash came before the old key endorsed it.
    KeyPair orphan = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.write(keysDir.resolve(LocalKeySource.SIGNING_KEY + ".next"), orphan.getPrivate().getEncoded());
    Files.writeString(keysDir.resolve(LocalKeySource.PUBLIC_KEY + ".next"), CheckpointKey.toPem(orphan.getPublic()));
    LocalKeySource.open(keysDir);
    assertThat(Files.readAllBytes(keysDir.resolve(LocalKeySource.SIGNING_KEY))).isEqualTo(before);
    assertThat(keysDir.resolve(LocalKeySource.SIGNING_KEY + ".next")).doesNotExist();
    assertThat(keysDir.resolve(LocalKeySource.PUBLIC_KEY + ".next")).doesNotExist();
  }
}
