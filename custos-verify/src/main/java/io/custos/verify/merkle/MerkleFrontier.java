package io.custos.verify.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * The root of an append-only RFC 9162 Merkle tree, kept incrementally in O(log n) memory: the hashes of
 * the perfect subtrees that make up the first n leaves ("compact range"). {@link #root()} equals
 * MTH(D[n]) of RFC 9162 section 2.1.1 for the leaves added so far. Not thread-safe.
 */
public final class MerkleFrontier {
  /** hashes of perfect subtrees, largest (leftmost) first; their sizes are the set bits of {@link #size}. */
  private final List<byte[]> subtrees = new ArrayList<>();
  private long size;

  /** Adds the next leaf by its leaf hash ({@link MerkleHash#leaf}). */
  public void add(byte[] leafHash) {
    byte[] h = leafHash;
    long s = size;
    // Merge with equally sized subtrees on the right edge, as binary carry propagation.
    while ((s & 1) == 1) {
      h = MerkleHash.node(subtrees.remove(subtrees.size() - 1), h);
      s >>>= 1;
    }
    subtrees.add(h);
    size++;
  }

  /** @return number of leaves added */
  public long size() {
    return size;
  }

  /** @return MTH of all leaves added so far (the empty-tree hash when none) */
  public byte[] root() {
    if (subtrees.isEmpty()) {
      return MerkleHash.empty();
    }
    byte[] h = subtrees.get(subtrees.size() - 1);
    for (int i = subtrees.size() - 2; i >= 0; i--) {
      h = MerkleHash.node(subtrees.get(i), h);
    }
    return h;
  }
}
