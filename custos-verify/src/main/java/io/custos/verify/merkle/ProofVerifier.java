package io.custos.verify.merkle;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verifies RFC 9162 proofs with the algorithms of sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency).
 * Needs only hashes: no key, no access to the ledger.
 */
public final class ProofVerifier {
  private ProofVerifier() {}

  /**
   * RFC 9162 2.1.3.2: true if {@code leafHash} is leaf {@code proof.leafIndex()} of the tree of size
   * {@code proof.treeSize()} whose root is {@code root}.
   */
  public static boolean verifyInclusion(InclusionProof proof, byte[] leafHash, byte[] root) {
    long fn = proof.leafIndex();
    long sn = proof.treeSize() - 1;
    if (fn < 0 || fn > sn) {
      return false;
    }
    byte[] r = leafHash;
    for (byte[] p : proof.path()) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = MerkleHash.node(p, r);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>>= 1;
            sn >>>= 1;
          }
        }
      } else {
        r = MerkleHash.node(r, p);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * RFC 9162 2.1.4.2: true if the tree of size {@code proof.firstSize()} with root {@code firstRoot} is a
   * prefix of the tree of size {@code proof.secondSize()} with root {@code secondRoot}.
   */
  public static boolean verifyConsistency(ConsistencyProof proof, byte[] firstRoot, byte[] secondRoot) {
    long first = proof.firstSize();
    long second = proof.secondSize();
    List<byte[]> path = proof.path();
    if (first <= 0 || first > second) {
      return false;
    }
    if (first == second) {
      return path.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
    }
    if (path.isEmpty()) {
      return false;
    }
    int start = 0;
    byte[] seed;
    if (Long.bitCount(first) == 1) {
      // first is an exact power of two: prepend first_hash to the path (step 2)
      seed = firstRoot;
    } else {
      seed = path.get(0);
      start = 1;
    }
    long fn = first - 1;
    long sn = second - 1;
    while ((fn & 1) == 1) {
      fn >>>= 1;
      sn >>>= 1;
    }
    byte[] fr = seed;
    byte[] sr = seed;
    for (int i = start; i < path.size(); i++) {
      byte[] c = path.get(i);
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = MerkleHash.node(c, fr);
        sr = MerkleHash.node(c, sr);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>>= 1;
            sn >>>= 1;
          }
        }
      } else {
        sr = MerkleHash.node(sr, c);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
  }
}
