package io.custos.audit.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Signs and verifies {@link Checkpoint}s with Ed25519 (RFC 8032, the JDK's {@code Ed25519} signature), so an
 * auditor holding only the public key can tell genuine tree heads from forged ones (45 CFR 164.312(c)(2)).
 */
public final class CheckpointSigner {
  private final PrivateKey key;
  private final String keyId;

  public CheckpointSigner(PrivateKey key, PublicKey publicKey) {
    this.key = key;
    this.keyId = keyId(publicKey);
  }

  /** Signs a tree head. */
  public Checkpoint sign(long treeSize, byte[] root, Instant timestamp) throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(key);
    s.update(Checkpoint.signedMessage(treeSize, root, timestamp, keyId));
    return new Checkpoint(treeSize, root.clone(), timestamp, keyId, s.sign());
  }

  /** @return true if {@code cp} carries a valid signature by {@code publicKey} */
  public static boolean verify(Checkpoint cp, PublicKey publicKey) {
    try {
      if (!keyId(publicKey).equals(cp.keyId())) {
        return false;
      }
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(publicKey);
      s.update(cp.signedMessage());
      return s.verify(cp.signature());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Key id: the first 8 bytes of SHA-256 over the encoded public key, hex. */
  public static String keyId(PublicKey publicKey) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded());
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM ("PUBLIC KEY", X.509 SubjectPublicKeyInfo) of a public key. */
  public static String toPem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** Reads an Ed25519 public key from a PEM file. */
  public static PublicKey readPublicKey(Path pem) throws IOException, GeneralSecurityException {
    String b64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }
}
