package io.custos.verify;

import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.merkle.MerkleFrontier;
import io.custos.verify.merkle.MerkleProofs;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Offline verification of a ledger (a directory, or the PostgreSQL database a fleet shares: {@link LedgerSource})
 * from its stored parts and the checkpoint public key alone (no
 * decryption key): HIPAA 45 CFR 164.312(c)(2) "mechanism to corroborate that ePHI has not been altered or
 * destroyed", applied to the audit trail of 164.312(b).
 *
 * <p>Checks: every record's framing and CRC; segment continuity; every checkpoint's Ed25519 signature (C2SP
 * signed-note checkpoints, and the legacy one-line format of older ledgers) under the key valid at its time, the
 * pinned key or one its {@link KeyTransitions} endorse ({@link KeyRing}); every pruned-range record's signature
 * ({@link PrunedRangeSignatures}); that every signed-note checkpoint
 * names one origin (the pinned one, when the key is a C2SP verifier key); that checkpoint sizes never shrink;
 * that each checkpoint's root equals the RFC 9162 root recomputed over the first N leaves (so consecutive
 * checkpoints are consistent: the earlier tree is a prefix of the later); and, with a witness directory, that the
 * ledger was neither rolled back nor rewritten since the witness saw it. When a root does not match, the signed {@link LeafHashFile} names the exact entry and how it changed.
 */
public final class LedgerVerifier {
  /** How long a continuously checkpointed ledger may hold entries no signed checkpoint covers. */
  static final Duration UNANCHORED_GRACE = Duration.ofMinutes(5);

  private LedgerVerifier() {}

  private record Target(boolean witness, int number, Checkpoint cp) {}

  /**
   * Verifies {@code ledgerDir} against {@code key}, comparing with {@code witnessDir} if given.
   *
   * @throws IOException if the directory holds no segment or a file cannot be read
   */
  public static VerificationReport verify(Path ledgerDir, CheckpointKey key, Optional<Path> witnessDir) throws IOException {
    return verify(new DirectoryLedger(ledgerDir), key, witnessDir);
  }

  /**
   * Verifies the ledger {@code source} holds (a directory or a fleet's PostgreSQL database) against {@code key},
   * comparing with {@code witnessDir} if given.
   *
   * @throws IOException if the entries or checkpoints cannot be read
   */
  public static VerificationReport verify(LedgerSource source, CheckpointKey key, Optional<Path> witnessDir)
      throws IOException {
    return verify(source, key, witnessDir, Instant.now());
  }

  /**
   * As {@link #verify(LedgerSource, CheckpointKey, Optional)}, as of {@code now} (what "long after the newest
   * checkpoint" is measured against for a continuously checkpointed ledger).
   */
  public static VerificationReport verify(LedgerSource source, CheckpointKey key, Optional<Path> witnessDir, Instant now)
      throws IOException {
    long start = System.nanoTime();
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    List<byte[]> hashes = new ArrayList<>();
    LedgerFiles.ScanResult scan = source.leafHashes(hashes);
    findings.addAll(scan.findings());
    warnings.addAll(scan.warnings());
    long n = scan.entries();

    KeyRing ring = KeyRing.build(key, source.keyTransitions());
    findings.addAll(ring.findings());
    warnings.addAll(ring.warnings());
    List<Target> local = signedCheckpoints(source.checkpoints(), false, ring, findings);
    List<Target> witness = witnessDir.isPresent()
        ? signedCheckpoints(CheckpointLog.read(witnessDir.get()), true, ring, findings) : List.of();
    Optional<String> origin = checkOrigin(local, witness, findings);
    if (local.isEmpty() && n > 0) {
      warnings.add("no valid checkpoint in " + source.describe() + ": no entry is covered by a signature");
    }

    // Recompute the root at every checkpointed size in one pass.
    TreeMap<Long, List<Target>> bySize = new TreeMap<>();
    for (Target t : local) {
      bySize.computeIfAbsent(t.cp().treeSize(), k -> new ArrayList<>()).add(t);
    }
    for (Target t : witness) {
      bySize.computeIfAbsent(t.cp().treeSize(), k -> new ArrayList<>()).add(t);
    }
    List<Target> failed = new ArrayList<>();
    MerkleFrontier frontier = new MerkleFrontier();
    checkAt(frontier, bySize.get(0L), failed);
    for (byte[] h : hashes) {
      frontier.add(h);
      List<Target> at = bySize.get(frontier.size());
      if (at != null) {
        checkAt(frontier, at, failed);
      }
    }
    // Checkpoints beyond the entries present: deletion/truncation, or a rollback seen by the witness.
    for (List<Target> ts : bySize.tailMap(n, false).values()) {
      failed.addAll(ts);
    }

    long lastGood = 0;
    for (Target t : local) {
      if (!failed.contains(t)) {
        lastGood = Math.max(lastGood, t.cp().treeSize());
      }
    }
    if (!failed.isEmpty() && !scan.findings().isEmpty()) {
      // The read stopped at damage already named above; later checkpoints cannot be checked past it.
      long beyond = failed.stream().filter(t -> !t.witness()).count();
      findings.add(new Finding(Finding.Kind.ROOT_MISMATCH, n, -1, beyond + " checkpoint(s) cover entries from " + n
          + " on, past the damaged record, and could not be checked"));
    } else if (!failed.isEmpty()) {
      failed.sort((a, b) -> Long.compare(a.cp().treeSize(), b.cp().treeSize()));
      Target first = failed.get(0);
      findings.add(localize(source, hashes, first, lastGoodBelow(local, failed, first.cp().treeSize())));
      for (Target t : failed) {
        if (t.witness() && t.cp().treeSize() > n) {
          findings.add(new Finding(Finding.Kind.ROLLED_BACK, n, t.number(), "ledger rolled back: witness checkpoint #"
              + t.number() + " (" + t.cp() + ") covers " + t.cp().treeSize() + " entries, the ledger holds " + n));
          break;
        }
      }
      for (Target t : failed) {
        if (t != first && !t.witness()) {
          findings.add(new Finding(Finding.Kind.ROOT_MISMATCH, -1, t.number(), "checkpoint #" + t.number() + " ("
              + t.cp() + ") does not match the ledger"));
        }
      }
    }
    long maxLocal = local.stream().mapToLong(t -> t.cp().treeSize()).max().orElse(0);
    for (Target t : witness) {
      if (t.cp().treeSize() > maxLocal && t.cp().treeSize() <= n && !failed.contains(t)) {
        warnings.add("witness checkpoint #" + t.number() + " (size " + t.cp().treeSize()
            + ") is newer than every local checkpoint: local checkpoint log lost lines");
        break;
      }
    }
    long unanchored = Math.max(0, n - Math.max(lastGood, 0));
    if (source.continuouslyCheckpointed() && unanchored > 0) {
      // Writers of a shared ledger sign the tree every second and at shutdown: entries the newest checkpoint leaves
      // out, long after it was signed, mean checkpoint rows were deleted to hide what followed.
      Instant newest = local.stream().map(t -> t.cp().timestamp()).max(Instant::compareTo).orElse(Instant.MIN);
      if (newest.isBefore(now.minus(UNANCHORED_GRACE))) {
        findings.add(new Finding(Finding.Kind.TRUNCATED, n - unanchored, -1, unanchored + " entries from " + (n - unanchored)
            + " on are covered by no signed checkpoint, and the newest checkpoint is older than "
            + UNANCHORED_GRACE.toMinutes() + " minutes: checkpoints were deleted, or the writers stopped signing"));
      }
    }
    checkPruned(source, local, findings, warnings);
    PrunedRangeSignatures.check(source.prunedRanges(), ring, origin, source.continuouslyCheckpointed(), findings,
        warnings);
    return VerificationReport.builder().entries(n).checkpoints(local.size()).witnessCheckpoints(witness.size())
        .pruned(scan.pruned()).unanchored(unanchored).origin(origin).findings(findings).warnings(warnings)
        .elapsed(Duration.ofNanos(System.nanoTime() - start)).build();
  }

  /**
   * All signed-note checkpoints of one ledger, witness copies included, carry one origin: a checkpoint naming
   * another is a validly signed tree head of a different ledger under the same key, spliced in.
   *
   * @return the origin of the first signed-note checkpoint, if any
   */
  private static Optional<String> checkOrigin(List<Target> local, List<Target> witness, List<Finding> findings) {
    Optional<String> origin = Optional.empty();
    for (List<Target> log : List.of(local, witness)) {
      for (Target t : log) {
        if (!(t.cp() instanceof NoteCheckpoint note)) {
          continue;
        }
        if (origin.isEmpty()) {
          origin = Optional.of(note.origin());
        } else if (!origin.get().equals(note.origin())) {
          findings.add(new Finding(Finding.Kind.BAD_CHECKPOINT_LOG, -1, t.number(), (t.witness() ? "witness " : "")
              + "checkpoint #" + t.number() + " names origin " + note.origin() + ", earlier checkpoints " + origin.get()
              + ": a checkpoint of another ledger"));
        }
      }
    }
    return origin;
  }

  /**
   * Pruned entries (45 CFR 164.316(b)(2) retention) are checked by their kept leaf hashes against the signed
   * RFC 9162 roots above; here each pruned range must also have been old enough when pruned: some validly
   * signed checkpoint covering its last entry is at least the recorded retention older than the prune time.
   */
  private static void checkPruned(LedgerSource source, List<Target> local, List<Finding> findings, List<String> warnings)
      throws IOException {
    for (PrunedRanges.Range r : source.prunedRanges().ranges()) {
      Instant cutoff = r.prunedAt().minus(Duration.ofDays(r.retentionDays()));
      boolean old = local.stream().anyMatch(t -> t.cp().treeSize() >= r.end() && t.cp().timestamp().isBefore(cutoff));
      if (!old) {
        findings.add(new Finding(Finding.Kind.PREMATURE_PRUNE, r.first(), -1, "entries " + r.first() + ".." + (r.end() - 1)
            + " (" + r.segment() + ") were pruned at " + r.prunedAt() + " but no signed checkpoint covering them is older"
            + " than " + cutoff + ": deleted before their retention period ended"));
      }
      if (r.retentionDays() < PrunedRanges.DEFAULT_RETENTION_DAYS) {
        warnings.add("entries " + r.first() + ".." + (r.end() - 1) + " were pruned under a retention of " + r.retentionDays()
            + " days, shorter than the six years of 45 CFR 164.316(b)(2)");
      }
    }
  }

  private static void checkAt(MerkleFrontier frontier, List<Target> targets, List<Target> failed) {
    if (targets == null) {
      return;
    }
    byte[] root = frontier.root();
    for (Target t : targets) {
      if (!MessageDigest.isEqual(root, t.cp().rootHash())) {
        failed.add(t);
      }
    }
  }

  private static long lastGoodBelow(List<Target> local, List<Target> failed, long size) {
    long best = 0;
    for (Target t : local) {
      if (!failed.contains(t) && t.cp().treeSize() < size) {
        best = Math.max(best, t.cp().treeSize());
      }
    }
    return best;
  }

  /** Parses, signature-checks and order-checks one checkpoint log. */
  private static List<Target> signedCheckpoints(CheckpointLog.Contents contents, boolean witness, KeyRing ring,
      List<Finding> findings) {
    String where = witness ? "witness checkpoint #" : "checkpoint #";
    for (String p : contents.problems()) {
      findings.add(new Finding(Finding.Kind.BAD_CHECKPOINT_LOG, -1, -1, p));
    }
    List<Target> out = new ArrayList<>();
    long prevSize = -1;
    Instant prevTime = Instant.MIN;
    for (int i = 0; i < contents.checkpoints().size(); i++) {
      Checkpoint cp = contents.checkpoints().get(i);
      int number = i + 1;
      Optional<Finding> unsigned = ring.check(cp, number, where);
      if (unsigned.isPresent()) {
        findings.add(unsigned.get());
        continue;
      }
      if (cp.treeSize() < prevSize || cp.timestamp().isBefore(prevTime)) {
        findings.add(new Finding(Finding.Kind.BAD_CHECKPOINT_LOG, -1, number, where + number + " (" + cp.describe()
            + ") goes back from size " + prevSize + " at " + prevTime + ": checkpoint log reordered or rolled back"));
      }
      prevSize = Math.max(prevSize, cp.treeSize());
      prevTime = cp.timestamp().isAfter(prevTime) ? cp.timestamp() : prevTime;
      out.add(new Target(witness, number, cp));
    }
    return out;
  }

  /** Names the entry responsible for the first failed checkpoint, using the leaf-hash file when it is authentic. */
  private static Finding localize(LedgerSource source, List<byte[]> actual, Target t, long lastGood) throws IOException {
    Checkpoint cp = t.cp();
    String cpName = (t.witness() ? "witness checkpoint #" : "checkpoint #") + t.number() + " (" + cp + ")";
    long n = actual.size();
    List<byte[]> ref = source.recordedLeafHashes();
    boolean authentic = ref.size() >= cp.treeSize()
        && MessageDigest.isEqual(new MerkleProofs(ref).root(cp.treeSize()), cp.rootHash());
    if (!authentic) {
      if (cp.treeSize() > n) {
        return new Finding(t.witness() ? Finding.Kind.ROLLED_BACK : Finding.Kind.TRUNCATED, n, t.number(), cpName
            + " covers " + cp.treeSize() + " entries but the ledger holds " + n + ": entries " + n + ".."
            + (cp.treeSize() - 1) + " (or earlier ones) were deleted, truncated or rolled back");
      }
      return new Finding(Finding.Kind.ROOT_MISMATCH, lastGood, t.number(), cpName + " does not match the ledger: an entry in "
          + lastGood + ".." + (cp.treeSize() - 1) + " was edited, deleted, inserted or reordered (leaf-hash file also altered;"
          + " cannot narrow further)");
    }
    long size = cp.treeSize();
    long k = 0;
    while (k < size && k < n && MessageDigest.isEqual(actual.get((int) k), ref.get((int) k))) {
      k++;
    }
    if (k >= n) {
      return new Finding(Finding.Kind.TRUNCATED, k, t.number(), "entries " + k + ".." + (size - 1) + " are missing (truncated): "
          + cpName + " covers " + size + " entries, the ledger holds " + n);
    }
    int i = (int) k;
    boolean nextSame = i + 1 < n && i + 1 < ref.size() && MessageDigest.isEqual(actual.get(i + 1), ref.get(i + 1));
    boolean actualIsNextRef = i + 1 < ref.size() && MessageDigest.isEqual(actual.get(i), ref.get(i + 1));
    boolean nextActualIsRef = i + 1 < n && MessageDigest.isEqual(actual.get(i + 1), ref.get(i));
    if (actualIsNextRef && nextActualIsRef) {
      return new Finding(Finding.Kind.REORDERED, k, t.number(), "entries " + k + " and " + (k + 1)
          + " were swapped (reordered); detected against " + cpName);
    }
    if (actualIsNextRef) {
      return new Finding(Finding.Kind.DELETED, k, t.number(), "entry " + k + " was deleted (later entries shifted down);"
          + " detected against " + cpName);
    }
    if (nextActualIsRef) {
      return new Finding(Finding.Kind.INSERTED, k, t.number(), "an entry was inserted at index " + k
          + " (the original entry " + k + " now sits at " + (k + 1) + "); detected against " + cpName);
    }
    for (int j = i + 2; j < Math.min(ref.size(), i + 4096); j++) {
      if (MessageDigest.isEqual(actual.get(i), ref.get(j))) {
        return new Finding(Finding.Kind.REORDERED, k, t.number(), "entry " + k + " holds the original entry " + j
            + " (reordered); detected against " + cpName);
      }
    }
    return new Finding(Finding.Kind.EDITED, k, t.number(), "entry " + k + " was edited" + (nextSame ? "" : " (and entries after it differ)")
        + "; detected against " + cpName);
  }
}
