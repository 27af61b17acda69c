package io.custos.verify.merkle;

import java.util.List;

/**
 * An RFC 9162 section 2.1.4 consistency proof that the tree of size {@code firstSize} is a prefix of the
 * tree of size {@code secondSize}. Verify with {@link ProofVerifier#verifyConsistency}.
 */
public record ConsistencyProof(long firstSize, long secondSize, List<byte[]> path) {
  public ConsistencyProof {
    path = List.copyOf(path);
  }

  /** @return encoded size of the proof in bytes (32 per hash) */
  public int sizeBytes() {
    return path.size() * MerkleHash.SIZE;
  }
}
