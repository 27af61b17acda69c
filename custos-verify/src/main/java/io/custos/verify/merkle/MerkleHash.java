package io.custos.verify.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The two hash functions of an RFC 9162 Merkle tree (section 2.1.1), with SHA-256:
 * {@code leaf = SHA-256(0x00 || entry)} and {@code node = SHA-256(0x01 || left || right)}. The distinct
 * prefixes keep a leaf from ever being taken for an interior node (second-preimage resistance).
 *
 * <p>A leaf covers the stored (encrypted) entry bytes, so the tree can be verified without any decryption key.
 */
public final class MerkleHash {
  /** Size of every hash in bytes. */
  public static final int SIZE = 32;

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  });

  private MerkleHash() {}

  /** RFC 9162 2.1.1: the hash of a leaf, SHA-256(0x00 || entry). */
  public static byte[] leaf(byte[] entry) {
    MessageDigest md = SHA256.get();
    md.update((byte) 0x00);
    md.update(entry);
    return md.digest();
  }

  /** RFC 9162 2.1.1: the hash of an interior node, SHA-256(0x01 || left || right). */
  public static byte[] node(byte[] left, byte[] right) {
    MessageDigest md = SHA256.get();
    md.update((byte) 0x01);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  /** RFC 9162 2.1.1: the hash of the empty tree, SHA-256 of the empty string. */
  public static byte[] empty() {
    return SHA256.get().digest(new byte[0]);
  }
}
