package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;
import io.custos.verify.CheckpointLog;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.SegmentFormat;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MerkleLedgerTest {
  @TempDir Path tmp;

  private Path ledgerDir() {
    return tmp.resolve("ledger");
  }

  private LocalKeySource keys() throws IOException {
    return LocalKeySource.openOrCreate(tmp.resolve("keys"));
  }

  private VerificationReport verify() throws Exception {
    return LedgerVerifier.verify(ledgerDir(), CheckpointKey.anyOrigin(keys().checkpointPublicKey()), Optional.empty());
  }

  @Test
  void appendsAreDurableEncryptedAndVerifiable() throws Exception {
    List<AuditEvent> written = new ArrayList<>();
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 50; i++) {
        AuditEvent e = LedgerFixtures.event();
        assertThat(ledger.appendForIndex(e)).isEqualTo(i);
        written.add(e);
      }
    }
    List<AuditEvent> read = new ArrayList<>();
    LedgerEvents.forEach(ledgerDir(), keys().ledgerAead(), s -> read.add(s.event()));
    assertThat(read).isEqualTo(written);
    VerificationReport r = verify();
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.entries()).isEqualTo(50);
    assertThat(r.unanchored()).isZero();
    assertThat(ledgerDir().resolve(LocalKeySource.PUBLIC_KEY)).exists();
  }

  @Test
  void ledgerFilesContainNoPlaintextIdentifiers() throws Exception {
    String patientId = "pat-8812-JOHNSON";
    String name = "Evelyn Johnson";
    String pseudonym = "pt_5f1c0ffee5f1c0ffee5f1c0ffee5f1c0";
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys());
        TokenMap map = TokenMap.open(ledgerDir().resolve(TokenMap.FILE), keys().tokenMapAead())) {
      map.remember(pseudonym, patientId + " " + name);
      for (int i = 0; i < 20; i++) {
        ledger.append(LedgerFixtures.event(pseudonym, AuditEvent.Phase.RESULT));
      }
      assertThat(map.patientFor(pseudonym)).contains(patientId + " " + name);
    }
    List<String> needles = List.of(patientId, name, "JOHNSON", pseudonym, "dr-alice", "get_medications", "clinician");
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String n : needles) {
          assertThat(bytes).as("%s must not contain %s", f, n).doesNotContain(n);
        }
      }
    }
  }

  @Test
  void concurrentAppendsAreAllDurableDistinctAndVerifiable() throws Exception {
    int threads = 16;
    int each = 300;
    Set<Long> indices = Collections.synchronizedSet(new HashSet<>());
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        fs.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            indices.add(ledger.appendForIndex(LedgerFixtures.event()));
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      pool.shutdown();
      assertThat(ledger.size()).isEqualTo(threads * each);
    }
    assertThat(indices).hasSize(threads * each);
    assertThat(Collections.max(indices)).isEqualTo(threads * each - 1);
    VerificationReport r = verify();
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.entries()).isEqualTo(threads * each);
  }

  @Test
  void checkpointsAreWrittenPeriodicallyAndCopiedToTheWitness() throws Exception {
    Path witness = tmp.resolve("witness");
    LedgerOptions opts = LedgerOptions.defaults().withWitness(witness).withCheckpointInterval(java.time.Duration.ofMillis(200));
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys(), opts)) {
      ledger.append(LedgerFixtures.event());
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (CheckpointLog.read(ledgerDir()).checkpoints().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(CheckpointLog.read(ledgerDir()).checkpoints()).isNotEmpty();
      ledger.append(LedgerFixtures.event());
    }
    List<Checkpoint> local = CheckpointLog.read(ledgerDir()).checkpoints();
    assertThat(local.get(local.size() - 1).treeSize()).isEqualTo(2);
    assertThat(CheckpointLog.read(witness).checkpoints()).extracting(Checkpoint::encode)
        .isEqualTo(local.stream().map(Checkpoint::encode).toList());
    assertThat(LedgerVerifier.verify(ledgerDir(), CheckpointKey.anyOrigin(keys().checkpointPublicKey()), Optional.of(witness)).ok()).isTrue();
  }

  @Test
  void rotationKeepsOldEntriesReadable() throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 5; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    List<KeysetInfo> before = LocalKeySource.describe(tmp.resolve("keys"), Optional.empty());
    List<KeysetInfo> after = LocalKeySource.rotate(tmp.resolve("keys"), Optional.empty());
    assertThat(after.get(0).keyIds()).hasSize(2).contains(before.get(0).primaryKeyId());
    assertThat(after.get(0).primaryKeyId()).isNotEqualTo(before.get(0).primaryKeyId());
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 5; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    // Tink's 5-byte prefix names the key of each ciphertext: both keys are in use.
    Set<Integer> keyIds = new HashSet<>();
    for (byte[] p : LedgerFixtures.payloads(ledgerDir())) {
      keyIds.add(ByteBuffer.wrap(LedgerEntry.decode(p).ciphertext(), 1, 4).getInt());
    }
    assertThat(keyIds).containsExactlyInAnyOrder(before.get(0).primaryKeyId(), after.get(0).primaryKeyId());
    long n = LedgerEvents.forEach(ledgerDir(), keys().ledgerAead(), s -> { });
    assertThat(n).isEqualTo(10);
    assertThat(verify().ok()).isTrue();
  }

  @Test
  void tornTailIsTruncatedOnOpen() throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 10; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    Path seg = SegmentFormat.list(ledgerDir()).get(0).file();
    long good = Files.size(seg);
    // a crash in the middle of writing a batch: a header promising 500 bytes, 100 written
    ByteBuffer torn = ByteBuffer.allocate(108).putInt(500).putInt(42);
    Files.write(seg, torn.array(), StandardOpenOption.APPEND);
    VerificationReport before = verify();
    assertThat(before.ok()).isTrue();
    assertThat(before.warnings()).anyMatch(w -> w.contains("torn tail after entry 9"));
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      assertThat(Files.size(seg)).isEqualTo(good);
      assertThat(ledger.appendForIndex(LedgerFixtures.event())).isEqualTo(10);
    }
    assertThat(verify().ok()).isTrue();
  }

  @Test
  void damagedRecordMidFileIsNeverAcceptedOnOpen() throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 10; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    Path seg = SegmentFormat.list(ledgerDir()).get(0).file();
    byte[] all = Files.readAllBytes(seg);
    all[SegmentFormat.HEADER + 8 + 20] ^= 0x40; // inside entry 0's payload; CRC no longer matches
    Files.write(seg, all);
    assertThatThrownBy(() -> MerkleLedger.open(ledgerDir(), keys()))
        .isInstanceOf(LedgerCorruptException.class).hasMessageContaining("entry 0");
  }

  @Test
  void editedEntryWithRepairedCrcIsRefusedOnOpenWhenEveryEntryIsRead() throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys())) {
      for (int i = 0; i < 10; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    // Without a saved frontier the open re-reads every entry (with one, the background check catches the edit).
    Files.delete(ledgerDir().resolve(FrontierFile.FILE));
    LedgerFixtures.rewrite(ledgerDir(), l -> {
      l.set(4, LedgerFixtures.flipLastByte(l.get(4)));
      return l;
    });
    assertThatThrownBy(() -> MerkleLedger.open(ledgerDir(), keys())).isInstanceOf(LedgerCorruptException.class);
  }

  @Test
  void failsClosedWhenTheStoreFails() throws Exception {
    LedgerStore broken = new LedgerStore() {
      @Override
      public long append(int count, EntryEncoder encoder) throws IOException {
        throw new IOException("disk full");
      }

      @Override
      public long size() {
        return 0;
      }

      @Override
      public List<byte[]> read(long from, int max) {
        return List.of();
      }

      @Override
      public void close() {}
    };
    try (MerkleLedger ledger = MerkleLedger.open(broken, ledgerDir(), keys(), LedgerOptions.defaults(), java.time.Clock.systemUTC())) {
      assertThatThrownBy(() -> ledger.append(LedgerFixtures.event())).isInstanceOf(AuditUnavailableException.class);
      assertThatThrownBy(() -> ledger.append(LedgerFixtures.event())).isInstanceOf(AuditUnavailableException.class);
    }
  }

  @Test
  void segmentsRollOverAndStillVerify() throws Exception {
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys(), LedgerOptions.defaults().withSegmentBytes(4096))) {
      for (int i = 0; i < 60; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    assertThat(SegmentFormat.list(ledgerDir()).size()).isGreaterThan(3);
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir(), keys(), LedgerOptions.defaults().withSegmentBytes(4096))) {
      assertThat(ledger.appendForIndex(LedgerFixtures.event())).isEqualTo(60);
    }
    assertThat(verify().ok()).isTrue();
    assertThat(LedgerEvents.forEach(ledgerDir(), keys().ledgerAead(), s -> { })).isEqualTo(61);
  }
}
