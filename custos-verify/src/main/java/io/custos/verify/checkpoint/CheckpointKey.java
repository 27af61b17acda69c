package io.custos.verify.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

/**
 * The key an auditor trusts for a ledger's checkpoints: an Ed25519 public key and, when it came as a C2SP verifier
 * key (vkey), the origin it names. With an origin, every signed-note checkpoint must carry that origin; a PEM key
 * (X.509 SubjectPublicKeyInfo) pins the key only.
 *
 * @param publicKey the Ed25519 public key
 * @param origin    the pinned log origin (the vkey's key name), or empty
 */
public record CheckpointKey(PublicKey publicKey, Optional<String> origin) {

  /** @return a key that accepts checkpoints of any origin signed by {@code publicKey} */
  public static CheckpointKey anyOrigin(PublicKey publicKey) {
    return new CheckpointKey(publicKey, Optional.empty());
  }

  /** @return the key of a C2SP verifier key, pinning its name as the origin */
  public static CheckpointKey of(NoteKey vkey) {
    return new CheckpointKey(vkey.publicKey(), Optional.of(vkey.name()));
  }

  /**
   * Reads a key file: a PEM {@code PUBLIC KEY} or a one-line C2SP verifier key.
   *
   * @throws IOException              if the file cannot be read
   * @throws IllegalArgumentException if it holds neither an Ed25519 PEM key nor a valid Ed25519 vkey
   */
  public static CheckpointKey read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (text.startsWith("-----BEGIN")) {
      return anyOrigin(fromPem(text));
    }
    return of(NoteKey.parseVkey(text));
  }

  /** PEM ("PUBLIC KEY", X.509 SubjectPublicKeyInfo) of a public key. */
  public static String toPem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
  }

  /** @throws IllegalArgumentException if {@code pem} is not an Ed25519 PEM public key */
  public static PublicKey fromPem(String pem) {
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key", e);
    }
  }
}
