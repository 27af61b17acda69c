package io.custos.verify.merkle;

import java.util.List;

/**
 * An RFC 9162 section 2.1.3 inclusion proof (audit path) of leaf {@code leafIndex} in the tree of size
 * {@code treeSize}. Verify with {@link ProofVerifier#verifyInclusion}.
 *
 * @param leafIndex zero-based leaf index
 * @param treeSize  size of the tree the path is for
 * @param path      sibling hashes from the leaf up
 */
public record InclusionProof(long leafIndex, long treeSize, List<byte[]> path) {
  public InclusionProof {
    path = List.copyOf(path);
  }

  /** @return encoded size of the path in bytes (32 per hash) */
  public int sizeBytes() {
    return path.size() * MerkleHash.SIZE;
  }
}
