package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.CheckpointLog;
import io.custos.verify.Finding;
import io.custos.verify.LeafHashFile;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.SegmentFormat;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.merkle.ConsistencyProof;
import io.custos.verify.merkle.MerkleHash;
import io.custos.verify.merkle.ProofVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each tampering case (edit, delete, reorder, truncate) is detected offline and names the entry and the checkpoint. */
class LedgerVerifierTest {
  @TempDir Path tmp;
  private Path dir;
  private Path witness;
  private LocalKeySource keys;
  private CheckpointKey pk;

  @BeforeEach
  void writeLedger() throws Exception {
    dir = tmp.resolve("ledger");
    witness = tmp.resolve("witness");
    keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    pk = CheckpointKey.anyOrigin(keys.checkpointPublicKey());
    // 3 checkpoints: after 10, 20 and 30 entries (no timed checkpoint in between)
    try (MerkleLedger ledger = MerkleLedger.open(dir, keys, LedgerOptions.defaults().withWitness(witness)
        .withCheckpointInterval(Duration.ofHours(1)))) {
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 10; i++) {
          ledger.append(LedgerFixtures.event());
        }
        ledger.checkpointNow();
      }
    }
  }

  private VerificationReport verify() throws IOException {
    return LedgerVerifier.verify(dir, pk, Optional.of(witness));
  }

  private static Finding first(VerificationReport r) {
    assertThat(r.ok()).as("tampering must be detected").isFalse();
    return r.findings().get(0);
  }

  @Test
  void untouchedLedgerVerifies() throws IOException {
    VerificationReport r = verify();
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.entries()).isEqualTo(30);
    assertThat(r.checkpoints()).isEqualTo(3);
    assertThat(r.witnessCheckpoints()).isEqualTo(3);
    assertThat(r.summary()).startsWith("ledger OK: 30 entries, 3 checkpoints");
  }

  @Test
  void editedEntryWithRepairedCrcIsNamed() throws IOException {
    LedgerFixtures.rewrite(dir, l -> {
      l.set(14, LedgerFixtures.flipLastByte(l.get(14)));
      return l;
    });
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.EDITED);
    assertThat(f.entryIndex()).isEqualTo(14);
    assertThat(f.checkpoint()).isEqualTo(2);
    assertThat(f.message()).contains("entry 14 was edited").contains("checkpoint #2");
  }

  @Test
  void editedBytesWithoutCrcRepairAreNamed() throws IOException {
    Path seg = SegmentFormat.list(dir).get(0).file();
    List<byte[]> p = LedgerFixtures.payloads(dir);
    long offset = SegmentFormat.HEADER;
    for (int i = 0; i < 7; i++) {
      offset += 8 + p.get(i).length;
    }
    byte[] all = Files.readAllBytes(seg);
    all[(int) offset + 8 + 30] ^= 1;
    Files.write(seg, all);
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.DAMAGED_RECORD);
    assertThat(f.entryIndex()).isEqualTo(7);
    assertThat(f.message()).contains("entry 7");
  }

  @Test
  void deletedEntryIsNamed() throws IOException {
    LedgerFixtures.rewrite(dir, l -> {
      l.remove(5);
      return l;
    });
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.DELETED);
    assertThat(f.entryIndex()).isEqualTo(5);
    assertThat(f.checkpoint()).isEqualTo(1);
  }

  @Test
  void insertedEntryIsNamed() throws IOException {
    LedgerFixtures.rewrite(dir, l -> {
      l.add(22, l.get(3));
      return l;
    });
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.INSERTED);
    assertThat(f.entryIndex()).isEqualTo(22);
    assertThat(f.checkpoint()).isEqualTo(3);
  }

  @Test
  void reorderedEntriesAreNamed() throws IOException {
    LedgerFixtures.rewrite(dir, l -> {
      byte[] a = l.get(11);
      l.set(11, l.get(12));
      l.set(12, a);
      return l;
    });
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.REORDERED);
    assertThat(f.entryIndex()).isEqualTo(11);
    assertThat(f.message()).contains("entries 11 and 12");
  }

  @Test
  void truncatedLedgerIsNamed() throws IOException {
    LedgerFixtures.rewrite(dir, l -> new ArrayList<>(l.subList(0, 26)));
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.TRUNCATED);
    assertThat(f.entryIndex()).isEqualTo(26);
    assertThat(f.message()).contains("entries 26..29").contains("checkpoint #3");
  }

  @Test
  void rollbackOfTheWholeDirectoryIsCaughtByTheWitness() throws Exception {
    // An attacker restores an old copy of the entire ledger directory (entries, checkpoints, leaf hashes).
    Path old = tmp.resolve("old-copy");
    copyTree(dir, old);
    try (MerkleLedger ledger = MerkleLedger.open(dir, keys, LedgerOptions.defaults().withWitness(witness))) {
      for (int i = 0; i < 10; i++) {
        ledger.append(LedgerFixtures.event());
      }
    }
    deleteTree(dir);
    copyTree(old, dir);
    assertThat(LedgerVerifier.verify(dir, pk, Optional.empty()).ok()).as("self-consistent without the witness").isTrue();
    VerificationReport r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.findings()).anySatisfy(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.ROLLED_BACK);
      assertThat(f.message()).contains("witness checkpoint #4").contains("40 entries").contains("holds 30");
    });
  }

  @Test
  void rewrittenHistoryIsCaughtByTheWitness() throws Exception {
    // Full rewrite: new entries, new leaf hashes and re-signed checkpoints would need the key; without it
    // the attacker re-creates the ledger from scratch with a different key pair -> signatures fail. With
    // the key (insider), the witness still holds the old roots.
    LedgerFixtures.rewrite(dir, l -> {
      l.set(2, l.get(1));
      return l;
    });
    Files.delete(dir.resolve(CheckpointLog.FILE));
    Files.delete(dir.resolve(LeafHashFile.FILE));
    try (MerkleLedger ledger = MerkleLedger.open(dir, keys)) {
      ledger.checkpointNow(); // re-signs the forged history with the real key
    }
    assertThat(LedgerVerifier.verify(dir, pk, Optional.empty()).ok()).isTrue();
    Finding f = first(verify());
    assertThat(f.checkpoint()).isEqualTo(1);
    assertThat(f.message()).contains("witness checkpoint #1");
  }

  @Test
  void forgedCheckpointSignatureIsNamed() throws IOException {
    Path log = dir.resolve(CheckpointLog.FILE);
    // The second signed note's tree-size line (its origin line is the first line of its text).
    List<String> lines = Files.readAllLines(log);
    int second = lines.subList(1, lines.size()).indexOf(lines.get(0)) + 1;
    assertThat(lines.get(second + 1)).isEqualTo("20");
    lines.set(second + 1, "21");
    Files.write(log, lines, StandardCharsets.UTF_8);
    VerificationReport r = verify();
    assertThat(r.findings()).anySatisfy(x -> {
      assertThat(x.kind()).isEqualTo(Finding.Kind.BAD_SIGNATURE);
      assertThat(x.checkpoint()).isEqualTo(2);
    });
  }

  @Test
  void editWithForgedLeafHashFileIsStillDetectedAsARange() throws IOException {
    LedgerFixtures.rewrite(dir, l -> {
      l.set(14, LedgerFixtures.flipLastByte(l.get(14)));
      return l;
    });
    Files.delete(dir.resolve(LeafHashFile.FILE));
    Finding f = first(verify());
    assertThat(f.kind()).isEqualTo(Finding.Kind.ROOT_MISMATCH);
    assertThat(f.message()).contains("10..19").contains("checkpoint #2");
  }

  @Test
  void inclusionAndConsistencyProofsFromTheFiles() throws IOException {
    List<byte[]> payloads = LedgerFixtures.payloads(dir);
    String eventId = LedgerEntry.eventIdOf(payloads.get(13));
    LedgerProver prover = LedgerProver.load(dir, pk);
    LedgerProver.EventProof p = prover.prove(eventId).orElseThrow();
    assertThat(p.leafIndex()).isEqualTo(13);
    assertThat(p.checkpoint().treeSize()).isEqualTo(30);
    assertThat(ProofVerifier.verifyInclusion(p.proof(), MerkleHash.leaf(payloads.get(13)), p.checkpoint().rootHash())).isTrue();
    assertThat(ProofVerifier.verifyInclusion(p.proof(), MerkleHash.leaf(payloads.get(12)), p.checkpoint().rootHash())).isFalse();
    List<Checkpoint> cps = prover.checkpoints();
    ConsistencyProof c = prover.consistency(cps.get(0), cps.get(2));
    assertThat(ProofVerifier.verifyConsistency(c, cps.get(0).rootHash(), cps.get(2).rootHash())).isTrue();
    assertThat(ProofVerifier.verifyConsistency(c, cps.get(1).rootHash(), cps.get(2).rootHash())).isFalse();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else if (!p.getFileName().toString().equals(".lock")) {
          Files.copy(p, t);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
