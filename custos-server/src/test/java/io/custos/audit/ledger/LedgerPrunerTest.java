package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.audit.AuditEvent;
import io.custos.verify.Finding;
import io.custos.verify.LeafHashFile;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.PrunedRanges;
import io.custos.verify.SegmentFormat;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.merkle.ProofVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention pruning (45 CFR 164.316(b)(2)) keeps the RFC 9162 tree verifiable and refuses anything younger. */
class LedgerPrunerTest {
  static final Instant OLD = Instant.parse("2019-01-01T00:00:00Z");
  static final Instant RECENT = Instant.parse("2025-06-01T00:00:00Z");
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z"); // cutoff ~2020-01-01: OLD is prunable, RECENT not

  @TempDir Path tmp;
  Path dir;
  Path witness;
  LocalKeySource keys;
  CheckpointKey pk;
  final List<String> ids = new ArrayList<>();

  /** A clock the test moves by hand, so checkpoints carry chosen timestamps. */
  static final class SetClock extends Clock {
    Instant now;

    SetClock(Instant now) {
      this.now = now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  MerkleLedger open(SetClock clock) throws Exception {
    LedgerOptions o = LedgerOptions.defaults().withWitness(witness).withCheckpointInterval(Duration.ofHours(1)).withSegmentBytes(1);
    return MerkleLedger.open(SegmentFileStore.open(dir, 1), dir, keys, o, clock);
  }

  void append(MerkleLedger l, int n) {
    for (int i = 0; i < n; i++) {
      AuditEvent e = LedgerFixtures.event();
      ids.add(e.eventId());
      l.append(e);
    }
  }

  @BeforeEach
  void writeLedger() throws Exception {
    dir = tmp.resolve("ledger");
    witness = tmp.resolve("witness");
    keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    pk = CheckpointKey.anyOrigin(keys.checkpointPublicKey());
    SetClock clock = new SetClock(OLD);
    try (MerkleLedger l = open(clock)) {
      append(l, 10);
      l.checkpointNow(); // entries 0..9 covered at OLD
      clock.now = RECENT;
      append(l, 10);
      l.checkpointNow(); // entries 10..19 first covered at RECENT
    }
  }

  VerificationReport verify() throws Exception {
    return LedgerVerifier.verify(dir, pk, Optional.of(witness));
  }

  @Test
  void prunesOnlySegmentsOlderThanRetentionAndStillVerifies() throws Exception {
    LedgerPruner.Result r = LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    assertThat(r.prunedEntries()).isEqualTo(10);
    assertThat(r.refused()).get().asString().contains("younger than the retention period");
    assertThat(SegmentFormat.list(dir).get(0).firstIndex()).isEqualTo(10);
    assertThat(LeafHashFile.readAll(dir)).hasSize(20);

    VerificationReport v = verify();
    assertThat(v.ok()).as(v.findings().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(20);
    assertThat(v.pruned()).isEqualTo(10);
    assertThat(v.summary()).startsWith("ledger OK: 20 entries").contains("10 pruned");

    // idempotent: a second run prunes nothing more
    assertThat(LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW).prunedEntries()).isZero();
  }

  @Test
  void prunedRangeRecordsAreSignedAndAnAlteredOneIsAFinding() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    List<PrunedRanges.Range> ranges = PrunedRanges.read(dir).ranges();
    assertThat(ranges).isNotEmpty().allSatisfy(r -> assertThat(r.verifiedBy(pk)).isTrue());
    assertThat(verify().warnings()).noneMatch(w -> w.contains("pruned-range"));

    // Claim the range was pruned under a one-day retention: the record no longer matches its signature.
    Path file = dir.resolve(PrunedRanges.FILE);
    Files.writeString(file, Files.readString(file).replaceFirst(" " + PrunedRanges.DEFAULT_RETENTION_DAYS + " ", " 1 "));
    VerificationReport v = verify();
    assertThat(v.ok()).isFalse();
    assertThat(v.findings()).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_PRUNED_RANGE);
      assertThat(f.entryIndex()).isZero();
    });
  }

  @Test
  void anUnsignedRecordOfAnOlderLedgerIsOnlyAWarning() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    // The custos-pruned/v1 line an older version wrote: the same fields, no origin and no signature.
    Path file = dir.resolve(PrunedRanges.FILE);
    Files.writeString(file, Files.readString(file).replaceAll("custos-pruned/v2 (\\S+ \\S+ \\S+ \\S+ \\S+) \\S+ \\S+",
        "custos-pruned/v1 $1"));
    assertThat(PrunedRanges.read(dir).ranges()).hasSize(10).allSatisfy(r -> assertThat(r.note()).isEmpty());
    VerificationReport v = verify();
    assertThat(v.ok()).as(v.findings().toString()).isTrue();
    assertThat(v.warnings()).anyMatch(w -> w.contains("10 pruned-range record(s) carry no signature"));
  }

  @Test
  void tooYoungSegmentsAreRefused() throws Exception {
    long before = SegmentFormat.list(dir).size();
    LedgerPruner.Result r = LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, OLD.plus(Duration.ofDays(PrunedRanges.DEFAULT_RETENTION_DAYS - 1)));
    assertThat(r.pruned()).isEmpty();
    assertThat(r.refused()).get().asString().contains("segment-").contains("entries 0..");
    assertThat(SegmentFormat.list(dir)).hasSize((int) before);
    assertThat(Files.exists(dir.resolve(PrunedRanges.FILE))).isFalse();
  }

  @Test
  void deletingAnUnprunedSegmentIsStillDetected() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    SegmentFormat.Segment victim = SegmentFormat.list(dir).stream().filter(s -> s.firstIndex() == 12).findFirst().orElseThrow();
    Files.delete(victim.file());
    VerificationReport v = verify();
    assertThat(v.ok()).isFalse();
    assertThat(v.findings().get(0).kind()).isEqualTo(Finding.Kind.DELETED);
    assertThat(v.findings().get(0).entryIndex()).isEqualTo(12);
  }

  @Test
  void deletingATooYoungSegmentUnderAForgedPruneRecordIsDetected() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    SegmentFormat.Segment victim = SegmentFormat.list(dir).get(0); // entry 10, first covered at RECENT
    assertThat(victim.firstIndex()).isEqualTo(10);
    Files.delete(victim.file());
    PrunedRanges.append(dir, new PrunedRanges.Range(10, 11, NOW, PrunedRanges.DEFAULT_RETENTION_DAYS, victim.file().getFileName().toString()));
    VerificationReport v = verify();
    assertThat(v.ok()).isFalse();
    assertThat(v.findings()).anyMatch(f -> f.kind() == Finding.Kind.PREMATURE_PRUNE && f.entryIndex() == 10);
  }

  @Test
  void proofsForRemainingEntriesStillVerify() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    LedgerProver p = LedgerProver.load(dir, pk);
    assertThat(p.size()).isEqualTo(20);
    var proof = p.prove(ids.get(15)).orElseThrow();
    assertThat(proof.leafIndex()).isEqualTo(15);
    assertThat(ProofVerifier.verifyInclusion(proof.proof(), proof.leafHash(), proof.checkpoint().rootHash())).isTrue();
    assertThat(p.prove(ids.get(3))).as("a pruned event has no id left").isEmpty();
    List<Checkpoint> cps = p.checkpoints();
    assertThat(p.consistency(cps.get(0), cps.get(cps.size() - 1)).path()).isNotEmpty();
  }

  @Test
  void ledgerReopensAndGrowsAfterPruning() throws Exception {
    LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW);
    try (MerkleLedger l = open(new SetClock(NOW))) {
      append(l, 5);
      l.checkpointNow();
    }
    VerificationReport v = verify();
    assertThat(v.ok()).as(v.findings().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(25);
    assertThat(v.pruned()).isEqualTo(10);
  }

  @Test
  void refusesADamagedLedger() throws Exception {
    LedgerFixtures.rewrite(dir, l -> {
      l.set(3, LedgerFixtures.flipLastByte(l.get(3)));
      return l;
    });
    assertThatThrownBy(() -> LedgerPruner.prune(dir, pk, keys, PrunedRanges.DEFAULT_RETENTION_DAYS, NOW))
        .isInstanceOf(LedgerCorruptException.class);
  }
}
