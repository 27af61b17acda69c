package io.custos.audit.ledger;

import io.custos.verify.LeafHashFile;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.merkle.MerkleFrontier;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The tamper check a ledger that resumed from a saved frontier skips at start: re-hashes the entries {@code [0, n)}
 * that a signed checkpoint of size {@code n} covers and compares the RFC 9162 root with the signed one (45 CFR
 * 164.312(c)(2)). Reads the store in batches and may run while the ledger appends (entries below {@code n} never
 * change). The auditor's complete check, which also names the entry that differs, is {@code custos audit verify}.
 */
final class HistoryCheck {
  /** What the check found. */
  enum Outcome {
    /** the entries reproduce the signed root */
    VERIFIED,
    /** the entries do not reproduce the signed root: edited, deleted, inserted or reordered */
    MISMATCH,
    /** stopped before the end (the ledger closed) */
    CANCELLED
  }

  private static final int BATCH = 8192;

  private HistoryCheck() {}

  /**
   * @param store     the ledger's entries; at least {@code signed.treeSize()} of them
   * @param dir       the checkpoint directory (pruned ranges and leaf hashes of pruned entries)
   * @param signed    a checkpoint whose signature was verified
   * @param cancelled polled between batches
   * @throws IOException if the entries cannot be read
   */
  static Outcome run(LedgerStore store, Path dir, Checkpoint signed, BooleanSupplier cancelled) throws IOException {
    MerkleFrontier tree = new MerkleFrontier();
    try (LeafHashFile hashes = LeafHashFile.open(dir)) {
      Checkpointer.addPrunedPrefix(tree, dir, hashes);
    }
    while (tree.size() < signed.treeSize()) {
      if (cancelled.getAsBoolean()) {
        return Outcome.CANCELLED;
      }
      List<byte[]> batch = store.readLeafHashes(tree.size(), (int) Math.min(BATCH, signed.treeSize() - tree.size()));
      if (batch.isEmpty()) {
        throw new IOException("ledger store returned no entries at " + tree.size());
      }
      batch.forEach(tree::add);
    }
    return MessageDigest.isEqual(tree.root(), signed.rootHash()) ? Outcome.VERIFIED : Outcome.MISMATCH;
  }
}
