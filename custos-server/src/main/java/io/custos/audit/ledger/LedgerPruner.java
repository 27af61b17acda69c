package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.JdbcLedger;
import io.custos.verify.KeyRing;
import io.custos.verify.KeyTransitions;
import io.custos.verify.LeafHashFile;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.PrunedRanges;
import io.custos.verify.SegmentFormat;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.SignedNote;
import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Retention pruning of a segment-file ledger (HIPAA 45 CFR 164.316(b)(2): keep documentation six years from
 * its creation). Only whole sealed segments are pruned, oldest first, and only when a validly signed
 * checkpoint older than {@code now - retention} covers the segment's last entry (entry timestamps are inside
 * the encrypted payload; the signed RFC 9162 tree head bounds every entry it covers from above). Pruning
 * deletes the ciphertext but keeps the leaf hashes and every checkpoint, recording the range in
 * {@link PrunedRanges}, so {@link LedgerVerifier} still recomputes every signed root. Each record is signed with
 * the current checkpoint key (a C2SP signed note under the ledger's origin) before its segment is deleted, so a
 * forged or altered record is a verification finding. The ledger must not be open (the server holds its lock) and
 * must verify before anything is deleted.
 */
public final class LedgerPruner {
  private LedgerPruner() {}

  /**
   * @param pruned  ranges pruned by this run
   * @param refused why the next sealed segment, if any, was kept
   */
  public record Result(List<PrunedRanges.Range> pruned, Optional<String> refused) {
    public long prunedEntries() {
      return pruned.stream().mapToLong(PrunedRanges.Range::entries).sum();
    }
  }

  /**
   * Prunes every sealed segment older than {@code retentionDays} at {@code now}, signing each pruned-range record with
   * the current checkpoint key of {@code keys}.
   *
   * @param key the pinned checkpoint key the ledger must verify under (following its published key transitions)
   * @throws LedgerCorruptException if the ledger does not verify
   * @throws IOException            if the ledger is in use, or the signing key is unusable
   */
  public static Result prune(Path dir, CheckpointKey key, KeySource keys, long retentionDays, Instant now) throws IOException {
    if (retentionDays < 0) {
      throw new IllegalArgumentException("retention must not be negative");
    }
    try (FileChannel lc = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lc.tryLock()) {
      if (lock == null) {
        throw new IOException("ledger " + dir + " is in use by another process; stop the server first");
      }
      VerificationReport report = LedgerVerifier.verify(dir, key, Optional.empty());
      if (!report.ok()) {
        throw new LedgerCorruptException("ledger does not verify; refusing to prune: " + report.findings().get(0));
      }
      Instant cutoff = now.minus(Duration.ofDays(retentionDays));
      KeyRing ring = KeyRing.build(key, KeyTransitions.read(dir));
      List<Checkpoint> signed = new ArrayList<>();
      for (Checkpoint cp : CheckpointLog.read(dir).checkpoints()) {
        if (ring.verifies(cp)) {
          signed.add(cp);
        }
      }
      CheckpointSigner signer = signer(dir, keys);
      long prunedEnd = PrunedRanges.read(dir).prefixEnd();
      List<SegmentFormat.Segment> segs = new ArrayList<>();
      for (SegmentFormat.Segment s : SegmentFormat.list(dir)) {
        if (s.firstIndex() >= prunedEnd) {
          segs.add(s);
        }
      }
      List<byte[]> kept = LeafHashFile.readAll(dir);
      List<PrunedRanges.Range> done = new ArrayList<>();
      // The last segment is the open tail: never pruned.
      for (int i = 0; i + 1 < segs.size(); i++) {
        SegmentFormat.Segment seg = segs.get(i);
        long first = seg.firstIndex();
        long end = segs.get(i + 1).firstIndex();
        String name = seg.file().getFileName().toString();
        Optional<Checkpoint> cover = signed.stream().filter(c -> c.treeSize() >= end).findFirst();
        if (cover.isEmpty() || !cover.get().timestamp().isBefore(cutoff)) {
          return new Result(done, Optional.of("segment " + name + " (entries " + first + ".." + (end - 1) + ") is younger than"
              + " the retention period of " + retentionDays + " days: " + (cover.isEmpty() ? "no signed checkpoint covers it"
              : "its entries are covered first by " + cover.get() + ", not before " + cutoff)));
        }
        List<byte[]> actual = new ArrayList<>();
        SegmentFormat.scan(seg.file(), (off, p) -> actual.add(MerkleHash.leaf(p)));
        if (actual.size() != end - first || kept.size() < end) {
          throw new LedgerCorruptException("segment " + name + " or the leaf-hash file does not hold entries " + first + ".."
              + (end - 1) + "; refusing to prune");
        }
        for (int k = 0; k < actual.size(); k++) {
          if (!MessageDigest.isEqual(actual.get(k), kept.get((int) (first + k)))) {
            throw new LedgerCorruptException("kept leaf hash of entry " + (first + k) + " differs from the entry; refusing to prune");
          }
        }
        PrunedRanges.Range unsigned = new PrunedRanges.Range(first, end, now, retentionDays, name);
        PrunedRanges.Range r = unsigned.signed(sign(signer, unsigned));
        PrunedRanges.append(dir, r);
        Files.delete(seg.file());
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
          d.force(true);
        }
        done.add(r);
      }
      return new Result(done, Optional.empty());
    }
  }

  /**
   * Prunes a fleet's PostgreSQL ledger: the entries after the pruned prefix up to the size of the newest signed
   * checkpoint older than {@code now - retentionDays} lose their ciphertext (their leaf hashes stay); the signed
   * range record and the pruning are one transaction. Replicas may keep running: pruned entries are below every
   * checkpoint they hold. The ledger must verify first.
   *
   * @param store   the ledger's database
   * @param source  the same database, read for verification
   * @param key     the key the ledger must verify under (the auditor's pinned key)
   * @param keys    the key directory holding the current checkpoint signing key
   * @param scratch a directory for the signer's verifier-key file
   * @throws LedgerCorruptException if the ledger does not verify
   */
  public static Result prune(PostgresLedgerStore store, JdbcLedger source, CheckpointKey key, KeySource keys, Path scratch,
      long retentionDays, Instant now) throws IOException {
    if (retentionDays < 0) {
      throw new IllegalArgumentException("retention must not be negative");
    }
    VerificationReport report = LedgerVerifier.verify(source, key, Optional.empty());
    if (!report.ok()) {
      throw new LedgerCorruptException("ledger does not verify; refusing to prune: " + report.findings().get(0));
    }
    Instant cutoff = now.minus(Duration.ofDays(retentionDays));
    long first = source.prunedRanges().prefixEnd();
    long end = source.checkpoints().checkpoints().stream().filter(cp -> cp.timestamp().isBefore(cutoff))
        .mapToLong(Checkpoint::treeSize).max().orElse(0);
    if (end <= first) {
      return new Result(List.of(), Optional.of("no entry after " + (first - 1) + " is covered by a signed checkpoint older"
          + " than the retention period of " + retentionDays + " days (" + cutoff + ")"));
    }
    CheckpointSigner signer;
    try {
      Files.createDirectories(scratch);
      signer = CheckpointSigner.forLedger(scratch, store.sharedCheckpoints(), keys);
    } catch (GeneralSecurityException e) {
      throw new IOException("checkpoint signing key unusable: " + e.getClass().getSimpleName(), e);
    }
    PrunedRanges.Range unsigned = new PrunedRanges.Range(first, end, now, retentionDays, "rows");
    PrunedRanges.Range r = unsigned.signed(sign(signer, unsigned));
    store.prune(first, end, r.toLine());
    return new Result(List.of(r), Optional.empty());
  }

  private static CheckpointSigner signer(Path dir, KeySource keys) throws IOException {
    try {
      return CheckpointSigner.forLedger(dir, Optional.empty(), keys);
    } catch (GeneralSecurityException e) {
      throw new IOException("checkpoint signing key unusable: " + e.getClass().getSimpleName(), e);
    }
  }

  private static SignedNote sign(CheckpointSigner signer, PrunedRanges.Range r) throws IOException {
    try {
      return signer.signNote(r.noteText(signer.key().name()));
    } catch (GeneralSecurityException e) {
      throw new IOException("could not sign the pruned-range record: " + e.getClass().getSimpleName(), e);
    }
  }
}
