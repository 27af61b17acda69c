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

  /** An empty tree. */
  public MerkleFrontier() {}

  /**
   * The frontier of a tree of {@code size} leaves from its perfect-subtree hashes (as returned by
   * {@link #subtrees()}): one per set bit of {@code size}, largest first, each {@link MerkleHash#SIZE} bytes. The
   * hashes are taken on trust; compare {@link #root()} with a signed root to authenticate them.
   *
   * @throws IllegalArgumentException if the count or a length does not fit {@code size}
   */
  public static MerkleFrontier of(long size, List<byte[]> subtrees) {
    if (size < 0 || subtrees.size() != Long.bitCount(size)) {
      throw new IllegalArgumentException("a tree of " + size + " leaves has " + Long.bitCount(size) + " subtrees");
    }
    MerkleFrontier f = new MerkleFrontier();
    for (byte[] h : subtrees) {
      if (h.length != MerkleHash.SIZE) {
        throw new IllegalArgumentException("subtree hash of " + h.length + " bytes");
      }
      f.subtrees.add(h.clone());
    }
    f.size = size;
    return f;
  }

  /** @return copies of the perfect-subtree hashes, largest (leftmost) first: the RFC 9162 compact range [0, size) */
  public List<byte[]> subtrees() {
    return subtrees.stream().map(byte[]::clone).toList();
  }

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
