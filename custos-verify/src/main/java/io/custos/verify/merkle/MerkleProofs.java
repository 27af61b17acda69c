package io.custos.verify.merkle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generates RFC 9162 audit paths (section 2.1.3.1, inclusion) and consistency proofs (section 2.1.4.1)
 * over a list of leaf hashes, and the tree hash MTH of any prefix. Proofs hold ceil(log2 n) hashes at most.
 */
public final class MerkleProofs {
  private final LeafHashes leaves;

  /** Random access to leaf hashes (index 0 .. size-1). */
  @FunctionalInterface
  public interface LeafHashes {
    byte[] get(long index);
  }

  public MerkleProofs(LeafHashes leaves) {
    this.leaves = leaves;
  }

  public MerkleProofs(List<byte[]> leaves) {
    this(i -> leaves.get(Math.toIntExact(i)));
  }

  /** RFC 9162 2.1.1: MTH(D[n]) of the first {@code n} leaves. */
  public byte[] root(long n) {
    return n == 0 ? MerkleHash.empty() : mth(0, n);
  }

  /** MTH of the leaves [from, from+n). */
  private byte[] mth(long from, long n) {
    if (n == 1) {
      return leaves.get(from);
    }
    long k = largestPowerOfTwoBelow(n);
    return MerkleHash.node(mth(from, k), mth(from + k, n - k));
  }

  /** RFC 9162 2.1.3.1: PATH(m, D[n]), the audit path of leaf {@code m} in the tree of the first {@code n} leaves. */
  public InclusionProof inclusion(long m, long n) {
    if (m < 0 || m >= n) {
      throw new IllegalArgumentException("leaf " + m + " outside tree of size " + n);
    }
    List<byte[]> path = new ArrayList<>();
    path(m, 0, n, path);
    return new InclusionProof(m, n, List.copyOf(path));
  }

  private void path(long m, long from, long n, List<byte[]> out) {
    if (n == 1) {
      return;
    }
    long k = largestPowerOfTwoBelow(n);
    if (m < k) {
      path(m, from, k, out);
      out.add(mth(from + k, n - k));
    } else {
      path(m - k, from + k, n - k, out);
      out.add(mth(from, k));
    }
  }

  /** RFC 9162 2.1.4.1: PROOF(m, D[n]), proving the tree of size {@code m} is a prefix of the tree of size {@code n}. */
  public ConsistencyProof consistency(long m, long n) {
    if (m <= 0 || m > n) {
      throw new IllegalArgumentException("no consistency proof from " + m + " to " + n);
    }
    List<byte[]> path = new ArrayList<>();
    if (m < n) {
      subproof(m, 0, n, true, path);
    }
    return new ConsistencyProof(m, n, List.copyOf(path));
  }

  private void subproof(long m, long from, long n, boolean b, List<byte[]> out) {
    if (m == n) {
      if (!b) {
        out.add(mth(from, n));
      }
      return;
    }
    long k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, from, k, b, out);
      out.add(mth(from + k, n - k));
    } else {
      subproof(m - k, from + k, n - k, false, out);
      out.add(mth(from, k));
    }
  }

  /** The largest power of two strictly smaller than {@code n} (n > 1), the split point of RFC 9162 2.1.1. */
  static long largestPowerOfTwoBelow(long n) {
    return Long.highestOneBit(n - 1);
  }

  /** @return a copy of {@code hash} (proof hashes are exposed as lists of arrays) */
  static byte[] copy(byte[] hash) {
    return Arrays.copyOf(hash, hash.length);
  }
}
