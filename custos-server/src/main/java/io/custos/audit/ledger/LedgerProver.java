package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.KeyRing;
import io.custos.verify.KeyTransitions;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerFiles;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.merkle.ConsistencyProof;
import io.custos.verify.merkle.InclusionProof;
import io.custos.verify.merkle.MerkleHash;
import io.custos.verify.merkle.MerkleProofs;
import io.custos.verify.merkle.ProofVerifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds proofs from a ledger directory without any decryption key: RFC 9162 inclusion proofs (2.1.3) for
 * one event against the latest signed checkpoint covering it, and consistency proofs (2.1.4) between two
 * checkpoints. Each proof is checked with {@link ProofVerifier} before it is returned.
 */
public final class LedgerProver {
  private final List<byte[]> hashes = new ArrayList<>();
  private final List<String> eventIds = new ArrayList<>();
  private final List<Checkpoint> checkpoints = new ArrayList<>();
  private final MerkleProofs proofs = new MerkleProofs(hashes);

  /** Proof that an event is in the ledger, anchored in a signed checkpoint. */
  public record EventProof(String eventId, long leafIndex, byte[] leafHash, Checkpoint checkpoint, InclusionProof proof) {}

  private LedgerProver() {}

  /**
   * Loads leaf hashes, event ids and the validly signed checkpoints of {@code dir}: each signed by the key valid at its
   * time, {@code key} or one its published key transitions endorse ({@link KeyRing}).
   */
  public static LedgerProver load(Path dir, CheckpointKey key) throws IOException {
    LedgerProver p = new LedgerProver();
    // Entries pruned after retention (45 CFR 164.316(b)(2)) keep their RFC 9162 leaf hashes: proofs for the
    // remaining entries are unchanged; a pruned event has no id left to prove.
    for (byte[] h : LedgerFiles.prunedLeafHashes(dir)) {
      p.hashes.add(h);
      p.eventIds.add(null);
    }
    LedgerFiles.ScanResult r = LedgerFiles.scan(dir, (i, e) -> {
      p.hashes.add(MerkleHash.leaf(e));
      p.eventIds.add(LedgerEntry.eventIdOf(e));
    });
    if (!r.findings().isEmpty()) {
      throw new LedgerCorruptException("ledger is damaged: " + r.findings().get(0).message());
    }
    KeyRing ring = KeyRing.build(key, KeyTransitions.read(dir));
    for (Checkpoint cp : CheckpointLog.read(dir).checkpoints()) {
      if (ring.verifies(cp) && cp.treeSize() <= p.hashes.size()) {
        p.checkpoints.add(cp);
      }
    }
    return p;
  }

  /** @return the inclusion proof of {@code eventId} against the latest checkpoint covering it, or empty */
  public Optional<EventProof> prove(String eventId) {
    int index = eventIds.indexOf(eventId);
    if (index < 0) {
      return Optional.empty();
    }
    Checkpoint anchor = null;
    for (Checkpoint cp : checkpoints) {
      if (cp.treeSize() > index) {
        anchor = cp;
      }
    }
    if (anchor == null) {
      throw new IllegalStateException("event " + eventId + " (entry " + index + ") is not yet covered by a signed checkpoint");
    }
    InclusionProof proof = proofs.inclusion(index, anchor.treeSize());
    byte[] leaf = hashes.get(index);
    if (!ProofVerifier.verifyInclusion(proof, leaf, anchor.rootHash())) {
      throw new IllegalStateException("entry " + index + " does not verify against " + anchor + ": ledger tampered");
    }
    return Optional.of(new EventProof(eventId, index, leaf, anchor, proof));
  }

  /** Consistency proof between two checkpointed sizes (the first must be smaller or equal). */
  public ConsistencyProof consistency(Checkpoint older, Checkpoint newer) {
    ConsistencyProof p = proofs.consistency(older.treeSize(), newer.treeSize());
    if (!ProofVerifier.verifyConsistency(p, older.rootHash(), newer.rootHash())) {
      throw new IllegalStateException(older + " is not consistent with " + newer + ": ledger tampered");
    }
    return p;
  }

  public List<Checkpoint> checkpoints() {
    return List.copyOf(checkpoints);
  }

  public long size() {
    return hashes.size();
  }
}
