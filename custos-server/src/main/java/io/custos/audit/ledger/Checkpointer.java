package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.LeafHashFile;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.PrunedRanges;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.merkle.MerkleFrontier;
import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the Merkle root of a {@link LedgerStore} up to date by reading newly durable entries, records their
 * leaf hashes ({@link LeafHashFile}) and writes signed {@link Checkpoint}s to the checkpoint log and the
 * optional witness (RFC 9162 section 4.10 signed tree heads; HIPAA 45 CFR 164.312(c)(2) mechanism to
 * authenticate that audit records were not altered or destroyed). Reading back from the store instead of
 * hooking the writer makes it correct when several writers share one store. Not thread-safe: one owner.
 */
final class Checkpointer implements AutoCloseable {
  private final LedgerStore store;
  private final LeafHashFile leafHashes;
  private final CheckpointSigner signer;
  private final CheckpointLog log;
  private final Optional<CheckpointLog> witness;
  private final Clock clock;
  private final MerkleFrontier frontier = new MerkleFrontier();
  private Checkpoint last;
  private java.nio.file.Path dir;

  private Checkpointer(LedgerStore store, LeafHashFile leafHashes, CheckpointSigner signer, CheckpointLog log,
      Optional<CheckpointLog> witness, Clock clock) {
    this.store = store;
    this.leafHashes = leafHashes;
    this.signer = signer;
    this.log = log;
    this.witness = witness;
    this.clock = clock;
  }

  /**
   * Opens the checkpointer for a ledger directory: replays every stored entry into the tree and refuses to
   * continue (fail closed) if the stored entries no longer match the last signed checkpoint.
   */
  static Checkpointer open(LedgerStore store, java.nio.file.Path dir, Optional<java.nio.file.Path> witnessDir,
      CheckpointSigner signer, Clock clock) throws IOException {
    List<Checkpoint> existing = CheckpointLog.read(dir).checkpoints();
    Checkpoint lastSigned = existing.isEmpty() ? null : existing.get(existing.size() - 1);
    LeafHashFile hashes = LeafHashFile.open(dir);
    CheckpointLog log = CheckpointLog.open(dir);
    Optional<CheckpointLog> w = witnessDir.isPresent() ? Optional.of(CheckpointLog.open(witnessDir.get())) : Optional.empty();
    Checkpointer c = new Checkpointer(store, hashes, signer, log, w, clock);
    c.last = lastSigned;
    c.dir = dir;
    if (lastSigned != null && lastSigned.treeSize() > store.size()) {
      c.close();
      throw new LedgerCorruptException("ledger holds " + store.size() + " entries but its last checkpoint covers "
          + lastSigned.treeSize() + ": entries were deleted or truncated. Run: custos audit verify --ledger " + dir);
    }
    c.catchUp(lastSigned, true);
    return c;
  }

  /** Reads entries the tree has not seen yet; on replay also repairs the leaf-hash file and checks the last checkpoint. */
  private void catchUp(Checkpoint check, boolean replay) throws IOException {
    long have = replay ? leafHashes.count() : -1;
    long target = store.size();
    List<byte[]> newHashes = new ArrayList<>();
    boolean sidecarOk = true;
    if (replay && frontier.size() == 0 && dir != null) {
      // Entries pruned after retention (45 CFR 164.316(b)(2)) enter the tree by their kept leaf hashes.
      long pruned = PrunedRanges.read(dir).prefixEnd();
      if (pruned > have) {
        throw new LedgerCorruptException("entries 0.." + (pruned - 1) + " were pruned but their leaf hashes are missing");
      }
      for (long i = 0; i < pruned; i++) {
        frontier.add(leafHashes.get(i));
      }
    }
    while (frontier.size() < target) {
      List<byte[]> batch = store.read(frontier.size(), 8192);
      if (batch.isEmpty()) {
        throw new IOException("ledger store returned no entries at " + frontier.size());
      }
      for (byte[] e : batch) {
        long i = frontier.size();
        byte[] h = MerkleHash.leaf(e);
        frontier.add(h);
        if (replay && sidecarOk && i < have) {
          if (!MessageDigest.isEqual(h, leafHashes.get(i))) {
            sidecarOk = false;
            leafHashes.truncate(i);
            newHashes.add(h);
          }
        } else {
          newHashes.add(h);
        }
        if (check != null && frontier.size() == check.treeSize() && !MessageDigest.isEqual(frontier.root(), check.rootHash())) {
          throw new LedgerCorruptException("ledger entries do not match signed " + check
              + ": entries were edited, deleted, inserted or reordered. Run: custos audit verify --ledger <dir>");
        }
        if (newHashes.size() >= 65536) {
          leafHashes.append(newHashes);
          newHashes.clear();
        }
      }
    }
    if (replay && sidecarOk && have > target) {
      leafHashes.truncate(target);
    }
    leafHashes.append(newHashes);
  }

  /** Brings the tree up to the store and writes a checkpoint if it grew (or {@code force} and none yet). */
  synchronized Optional<Checkpoint> checkpoint(boolean force) throws IOException, GeneralSecurityException {
    catchUp(null, false);
    long n = frontier.size();
    if (last != null && last.treeSize() == n && !force) {
      return Optional.empty();
    }
    if (last != null && last.treeSize() == n && force && n == 0) {
      return Optional.empty();
    }
    leafHashes.force();
    Checkpoint cp = signer.sign(n, frontier.root(), clock.instant());
    log.append(cp);
    if (witness.isPresent()) {
      witness.get().append(cp);
    }
    last = cp;
    return Optional.of(cp);
  }

  synchronized Checkpoint last() {
    return last;
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      leafHashes.close();
      log.close();
    } finally {
      if (witness.isPresent()) {
        witness.get().close();
      }
    }
  }
}
