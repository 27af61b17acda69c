package io.custos.audit.ledger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A signed tree head (RFC 9162 section 4.10 "signed tree head", in a plain-text line): the ledger had
 * {@code treeSize} entries with Merkle root {@code rootHash} at {@code timestamp}, signed with Ed25519 by the
 * key whose id is {@code keyId}. One line per checkpoint:
 * {@code custos-checkpoint/v1 <size> <root hex> <timestamp ISO-8601> <key id> <signature base64>}.
 */
public record Checkpoint(long treeSize, byte[] rootHash, Instant timestamp, String keyId, byte[] signature) {
  static final String TAG = "custos-checkpoint/v1";

  /** The bytes the signature covers: everything but the signature, one field per line. */
  public byte[] signedMessage() {
    return signedMessage(treeSize, rootHash, timestamp, keyId);
  }

  static byte[] signedMessage(long treeSize, byte[] rootHash, Instant timestamp, String keyId) {
    return (TAG + "\n" + treeSize + "\n" + HexFormat.of().formatHex(rootHash) + "\n" + timestamp + "\n" + keyId + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** @return the checkpoint as one line (no line terminator) */
  public String toLine() {
    return TAG + " " + treeSize + " " + HexFormat.of().formatHex(rootHash) + " " + timestamp + " " + keyId + " "
        + Base64.getEncoder().encodeToString(signature);
  }

  /** @throws IllegalArgumentException if {@code line} is not a checkpoint line */
  public static Checkpoint parse(String line) {
    String[] f = line.strip().split(" ");
    if (f.length != 6 || !TAG.equals(f[0])) {
      throw new IllegalArgumentException("not a checkpoint line");
    }
    try {
      return new Checkpoint(Long.parseLong(f[1]), HexFormat.of().parseHex(f[2]), Instant.parse(f[3]), f[4],
          Base64.getDecoder().decode(f[5]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed checkpoint line", e);
    }
  }

  /** @return root hash as lowercase hex */
  public String rootHex() {
    return HexFormat.of().formatHex(rootHash);
  }

  @Override
  public String toString() {
    return "checkpoint(size " + treeSize + ", root " + rootHex().substring(0, 16) + "..., " + timestamp + ")";
  }
}
