package io.custos.verify.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MerkleProofsTest {

  private static byte[] leaf(long i) {
    return MerkleHash.leaf(ByteBuffer.allocate(8).putLong(i).array());
  }

  private static byte[] flipLastByte(byte[] p) {
    byte[] c = p.clone();
    c[c.length - 1] ^= 1;
    return c;
  }

  private static List<byte[]> leaves(int n) {
    List<byte[]> l = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(leaf(i));
    }
    return l;
  }

  @Test
  void frontierRootEqualsRecursiveRootForEverySize() {
    List<byte[]> l = leaves(300);
    MerkleProofs p = new MerkleProofs(l);
    MerkleFrontier f = new MerkleFrontier();
    assertThat(f.root()).isEqualTo(MerkleHash.empty());
    for (int n = 1; n <= 300; n++) {
      f.add(l.get(n - 1));
      assertThat(f.root()).as("size %d", n).isEqualTo(p.root(n));
    }
  }

  @Test
  void aFrontierRestoredFromItsSubtreesContinuesLikeTheOriginal() {
    List<byte[]> l = leaves(300);
    MerkleProofs p = new MerkleProofs(l);
    MerkleFrontier f = new MerkleFrontier();
    for (int n = 1; n <= 200; n++) {
      f.add(l.get(n - 1));
      MerkleFrontier restored = MerkleFrontier.of(f.size(), f.subtrees());
      assertThat(restored.subtrees()).hasSize(Long.bitCount(n));
      assertThat(restored.root()).as("size %d", n).isEqualTo(p.root(n));
    }
    MerkleFrontier restored = MerkleFrontier.of(f.size(), f.subtrees());
    for (int n = 201; n <= 300; n++) {
      restored.add(l.get(n - 1));
    }
    assertThat(restored.root()).isEqualTo(p.root(300));
  }

  @Test
  void aFrontierWithTheWrongNumberOrLengthOfSubtreesIsRejected() {
    byte[] h = leaf(0);
    assertThatThrownBy(() -> MerkleFrontier.of(3, List.of(h)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MerkleFrontier.of(1, List.of(new byte[31])))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void knownStructureForThreeLeaves() {
    List<byte[]> l = leaves(3);
    byte[] expected = MerkleHash.node(MerkleHash.node(l.get(0), l.get(1)), l.get(2));
    assertThat(new MerkleProofs(l).root(3)).isEqualTo(expected);
  }

  @Test
  void everyInclusionProofVerifiesAndFailsWhenAltered() {
    List<byte[]> l = leaves(70);
    MerkleProofs p = new MerkleProofs(l);
    for (int n = 1; n <= 70; n++) {
      byte[] root = p.root(n);
      for (int m = 0; m < n; m++) {
        InclusionProof proof = p.inclusion(m, n);
        assertThat(ProofVerifier.verifyInclusion(proof, l.get(m), root)).as("m=%d n=%d", m, n).isTrue();
        // wrong leaf, wrong index, altered path hash
        assertThat(ProofVerifier.verifyInclusion(proof, leaf(999), root)).isFalse();
        if (n > 1) {
          assertThat(ProofVerifier.verifyInclusion(new InclusionProof((m + 1) % n, n, proof.path()), l.get(m), root)).isFalse();
          List<byte[]> bad = new ArrayList<>(proof.path());
          bad.set(0, flipLastByte(bad.get(0)));
          assertThat(ProofVerifier.verifyInclusion(new InclusionProof(m, n, bad), l.get(m), root)).isFalse();
        }
      }
    }
  }

  @Test
  void everyConsistencyProofVerifiesAndFailsWhenAltered() {
    List<byte[]> l = leaves(70);
    MerkleProofs p = new MerkleProofs(l);
    for (int n = 1; n <= 70; n++) {
      for (int m = 1; m <= n; m++) {
        ConsistencyProof proof = p.consistency(m, n);
        assertThat(ProofVerifier.verifyConsistency(proof, p.root(m), p.root(n))).as("m=%d n=%d", m, n).isTrue();
        if (m < n) {
          assertThat(ProofVerifier.verifyConsistency(proof, p.root(m), p.root(n - 1))).isFalse();
          List<byte[]> bad = new ArrayList<>(proof.path());
          bad.set(bad.size() - 1, flipLastByte(bad.get(bad.size() - 1)));
          assertThat(ProofVerifier.verifyConsistency(new ConsistencyProof(m, n, bad), p.root(m), p.root(n))).isFalse();
          // a different history of the same size is not consistent
          List<byte[]> forked = new ArrayList<>(l.subList(0, n));
          forked.set(m - 1, leaf(12345));
          assertThat(ProofVerifier.verifyConsistency(proof, new MerkleProofs(forked).root(m), p.root(n))).isFalse();
        }
      }
    }
  }

  /** Proof size is logarithmic: 2^10 vs 2^20 simulated leaves; and at most 30 hashes (960 bytes) for 10^9. */
  @Test
  void proofSizeGrowsLogarithmically() {
    int small = 1 << 10;
    int large = 1 << 20;
    MerkleProofs ps = new MerkleProofs(leaves(small));
    MerkleProofs pl = new MerkleProofs(i -> leaf(i)); // leaves computed on demand
    InclusionProof a = ps.inclusion(small / 3, small);
    InclusionProof b = pl.inclusion(large / 3, large);
    assertThat(a.sizeBytes()).isEqualTo(10 * 32);
    assertThat(b.sizeBytes()).isEqualTo(20 * 32);
    assertThat(ProofVerifier.verifyInclusion(b, leaf(large / 3), pl.root(large))).isTrue();
    ConsistencyProof c = pl.consistency(large / 3, large);
    assertThat(c.sizeBytes()).isLessThanOrEqualTo(2 * 20 * 32);
    System.out.printf("proof sizes: inclusion 2^10=%d B, 2^20=%d B; consistency 2^20/3->2^20=%d B%n",
        a.sizeBytes(), b.sizeBytes(), c.sizeBytes());
    // For 10^9 leaves an audit path has ceil(log2(10^9)) = 30 hashes = 960 bytes <= 1 KB.
    assertThat(64 - Long.numberOfLeadingZeros(1_000_000_000L - 1) * 1L).isEqualTo(30);
  }
}
