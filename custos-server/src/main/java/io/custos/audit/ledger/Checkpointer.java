package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.LeafHashFile;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.PrunedRanges;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.merkle.MerkleFrontier;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the Merkle root of a {@link LedgerStore} up to date by reading newly durable entries, records their
 * leaf hashes ({@link LeafHashFile}) and writes signed {@link Checkpoint}s to the checkpoint log and the
 * optional witness (RFC 9162 section 4.10 signed tree heads; HIPAA 45 CFR 164.312(c)(2) mechanism to
 * authenticate that audit records were not altered or destroyed). Reading back from the store instead of
 * hooking the writer makes it correct when several writers share one store. Not thread-safe: one owner.
 */
final class Checkpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
  private final LedgerStore store;
  private final LeafHashFile leafHashes;
  private final CheckpointSigner signer;
  private final CheckpointLog log;
  private final Optional<CheckpointLog> witness;
  private final Clock clock;
  private MerkleFrontier frontier = new MerkleFrontier();
  private Optional<Checkpoint> resumeFrom = Optional.empty();
  /** tree size of the frontier in {@link FrontierFile}; -1 if unknown */
  private long persistedSize = -1;
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
   * Opens the checkpointer for a ledger directory and refuses to continue (fail closed) if the stored entries no
   * longer match the last signed checkpoint. When the saved {@link FrontierFile} is authenticated by a signed
   * checkpoint (its root equals that checkpoint's root and the signature verifies with the ledger's key), the tree
   * resumes from it and only the entries after that checkpoint are read (O(entries since the checkpoint)); the
   * entries before it are then checked by {@link HistoryCheck} in the background. Otherwise (no frontier: a ledger
   * from before frontiers, a damaged file, a rotated checkpoint key) every entry is read and checked here.
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
    try {
      if (lastSigned != null && lastSigned.treeSize() > store.size()) {
        throw new LedgerCorruptException("ledger holds " + store.size() + " entries but its last checkpoint covers "
            + lastSigned.treeSize() + ": entries were deleted or truncated. Run: custos audit verify --ledger " + dir);
      }
      // A fleet's newest genuine checkpoint in the database outranks this server's cache: the entries are replayed
      // and must reproduce it before this server signs anything (a new replica has no cache to trust).
      Optional<Checkpoint> shared = store.sharedCheckpoints().isPresent()
          ? store.sharedCheckpoints().get().latest(c::genuine) : Optional.empty();
      boolean sharedNewer = shared.isPresent() && (lastSigned == null || shared.get().treeSize() > lastSigned.treeSize());
      if (sharedNewer && shared.get().treeSize() > store.size()) {
        throw new LedgerCorruptException("the shared ledger holds " + store.size() + " entries but its newest signed"
            + " checkpoint covers " + shared.get().treeSize() + ": entries were deleted. Run: custos audit verify");
      }
      Optional<MerkleFrontier> saved = sharedNewer ? Optional.empty() : FrontierFile.read(dir);
      c.resumeFrom = c.authenticating(saved, existing);
      if (c.resumeFrom.isPresent()) {
        c.frontier = saved.orElseThrow();
        c.persistedSize = c.frontier.size();
        LOG.info("ledger resumes from the signed frontier at entry {}; reading the {} entries after it",
            c.frontier.size(), store.size() - c.frontier.size());
      } else if (store.size() > 0) {
        LOG.warn("ledger has no usable saved frontier; reading and checking all {} entries", store.size());
      }
      c.catchUp(sharedNewer ? shared.get() : lastSigned, true);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * The signed checkpoint that authenticates the saved frontier: same size, same root, valid signature, not past
   * the store, and the leaf-hash file and the pruned prefix reach it (else the full replay repairs or refuses).
   */
  private Optional<Checkpoint> authenticating(Optional<MerkleFrontier> saved, List<Checkpoint> signed) throws IOException {
    if (saved.isEmpty() || saved.get().size() == 0 || saved.get().size() > store.size()
        || saved.get().size() > leafHashes.count() || saved.get().size() < PrunedRanges.read(dir).prefixEnd()) {
      return Optional.empty();
    }
    byte[] root = saved.get().root();
    CheckpointKey key = CheckpointKey.of(signer.key());
    for (int i = signed.size() - 1; i >= 0; i--) {
      Checkpoint cp = signed.get(i);
      if (cp.treeSize() == saved.get().size() && MessageDigest.isEqual(cp.rootHash(), root) && cp.verifiedBy(key)) {
        return Optional.of(cp);
      }
    }
    return Optional.empty();
  }

  /**
   * The signed checkpoint the tree resumed from at open, whose earlier entries were not read then; empty when
   * every entry was read and checked at open.
   */
  Optional<Checkpoint> resumedFrom() {
    return resumeFrom;
  }

  /** Reads entries the tree has not seen yet; on replay also repairs the leaf-hash file and checks the last checkpoint. */
  private void catchUp(Checkpoint check, boolean replay) throws IOException {
    long have = replay ? leafHashes.count() : -1;
    long target = store.size();
    List<byte[]> newHashes = new ArrayList<>();
    boolean sidecarOk = true;
    if (replay && frontier.size() == 0 && dir != null) {
      addPrunedPrefix(frontier, dir, leafHashes);
    }
    while (frontier.size() < target) {
      List<byte[]> batch = store.readLeafHashes(frontier.size(), 8192);
      if (batch.isEmpty()) {
        throw new IOException("ledger store returned no entries at " + frontier.size());
      }
      for (byte[] h : batch) {
        long i = frontier.size();
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

  /**
   * Adds the entries pruned after retention (45 CFR 164.316(b)(2)) to an empty tree by their kept leaf hashes.
   *
   * @throws LedgerCorruptException if the leaf-hash file does not reach the end of the pruned prefix
   */
  static void addPrunedPrefix(MerkleFrontier tree, java.nio.file.Path dir, LeafHashFile hashes) throws IOException {
    long pruned = PrunedRanges.read(dir).prefixEnd();
    if (pruned > hashes.count()) {
      throw new LedgerCorruptException("entries 0.." + (pruned - 1) + " were pruned but their leaf hashes are missing");
    }
    for (long i = 0; i < pruned; i++) {
      tree.add(hashes.get(i));
    }
  }

  /**
   * Brings the tree up to the store and writes a checkpoint if it grew (or {@code force} and none yet), then saves
   * the frontier of the last checkpoint if it is not saved yet.
   */
  synchronized Optional<Checkpoint> checkpoint(boolean force) throws IOException, GeneralSecurityException {
    catchUp(null, false);
    long n = frontier.size();
    if (last != null && last.treeSize() == n && (!force || n == 0)) {
      saveFrontier();
      return Optional.empty();
    }
    leafHashes.force();
    byte[] root = frontier.root();
    Checkpoint cp;
    if (store.sharedCheckpoints().isPresent()) {
      // Another server may have signed as much already; then this one has nothing to add.
      Optional<Checkpoint> published = store.sharedCheckpoints().get().publish(n, this::genuine,
          notBefore -> signer.sign(n, root, later(clock.instant(), notBefore)));
      if (published.isEmpty()) {
        return Optional.empty();
      }
      cp = published.get();
    } else {
      cp = signer.sign(n, root, clock.instant());
    }
    log.append(cp);
    if (witness.isPresent()) {
      witness.get().append(cp);
    }
    last = cp;
    saveFrontier();
    return Optional.of(cp);
  }

  /** A checkpoint this ledger's current signing key vouches for. */
  private boolean genuine(Checkpoint cp) {
    return cp.verifiedBy(CheckpointKey.of(signer.key()));
  }

  private static java.time.Instant later(java.time.Instant a, java.time.Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** Saves the frontier when it is that of the last checkpoint (after the checkpoint is durable, so it can vouch). */
  private void saveFrontier() throws IOException {
    long n = frontier.size();
    if (dir != null && n > 0 && n != persistedSize && last != null && last.treeSize() == n) {
      FrontierFile.write(dir, frontier);
      persistedSize = n;
    }
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
