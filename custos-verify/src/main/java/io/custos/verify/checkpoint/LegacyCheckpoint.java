package io.custos.verify.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A checkpoint of the first ledger format, read so that ledgers written before C2SP signed notes still verify. One
 * line per checkpoint: {@code custos-checkpoint/v1 <size> <root hex> <timestamp ISO-8601> <key id> <signature base64>};
 * the Ed25519 signature covers {@link #signedMessage()}; the key id is the first 8 bytes of SHA-256 over the X.509
 * encoding of the public key, in hex.
 */
public record LegacyCheckpoint(long treeSize, byte[] rootHash, Instant timestamp, String keyId, byte[] signature)
    implements Checkpoint {
  /** First field of every legacy checkpoint line. */
  public static final String TAG = "custos-checkpoint/v1";

  /** The bytes the signature covers: everything but the signature, one field per line. */
  public byte[] signedMessage() {
    return signedMessage(treeSize, rootHash, timestamp, keyId);
  }

  static byte[] signedMessage(long treeSize, byte[] rootHash, Instant timestamp, String keyId) {
    return (TAG + "\n" + treeSize + "\n" + HexFormat.of().formatHex(rootHash) + "\n" + timestamp + "\n" + keyId + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean verifiedBy(CheckpointKey key) {
    try {
      if (!keyIdOf(key.publicKey()).equals(keyId)) {
        return false;
      }
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key.publicKey());
      s.update(signedMessage());
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Legacy key id: the first 8 bytes of SHA-256 over the encoded public key, hex. */
  static String keyIdOf(PublicKey publicKey) throws GeneralSecurityException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded()), 0, 8);
  }

  @Override
  public String encode() {
    return TAG + " " + treeSize + " " + HexFormat.of().formatHex(rootHash) + " " + timestamp + " " + keyId + " "
        + Base64.getEncoder().encodeToString(signature) + "\n";
  }

  /** @throws IllegalArgumentException if {@code line} is not a legacy checkpoint line */
  public static LegacyCheckpoint parse(String line) {
    String[] f = line.strip().split(" ");
    if (f.length != 6 || !TAG.equals(f[0])) {
      throw new IllegalArgumentException("not a checkpoint line");
    }
    try {
      return new LegacyCheckpoint(Long.parseLong(f[1]), HexFormat.of().parseHex(f[2]), Instant.parse(f[3]), f[4],
          Base64.getDecoder().decode(f[5]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed checkpoint line", e);
    }
  }

  @Override
  public String toString() {
    return describe();
  }
}
