package io.custos.verify.checkpoint;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * A checkpoint in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint): a {@link SignedNote} whose
 * text is the origin line, the tree size in decimal, the base64 RFC 9162 root hash, and one extension line
 * {@code timestamp <ISO-8601 instant, UTC>} (the signing time, used by retention checks); signed with Ed25519 by a
 * key named after the origin, so standard transparency-log verifiers and witnesses can read it.
 *
 * <pre>
 * custos/ledger/3f9c...e1
 * 15
 * GZ1dnb39LvT6TIpdp5Hi2Nn66NCNVc1E/dD7ZUDF+QY=
 * timestamp 2026-11-29T08:36:21.031565332Z
 *
 * — custos/ledger/3f9c...e1 qL0aJ...
 * </pre>
 *
 * @param origin    the log's origin line (unique per ledger)
 * @param treeSize  number of entries covered
 * @param rootHash  RFC 9162 root hash, 32 bytes
 * @param timestamp when the checkpoint was signed
 * @param note      the signed note carrying all of the above
 */
public record NoteCheckpoint(String origin, long treeSize, byte[] rootHash, Instant timestamp, SignedNote note)
    implements Checkpoint {
  /** Label of the extension line carrying the signing time. */
  public static final String TIMESTAMP = "timestamp";
  private static final int HASH_BYTES = 32;

  /** @return the note text of a checkpoint: origin, size, base64 root, timestamp extension line */
  public static String body(String origin, long treeSize, byte[] rootHash, Instant timestamp) {
    if (rootHash.length != HASH_BYTES || treeSize < 0) {
      throw new IllegalArgumentException("a checkpoint has a non-negative size and a 32-byte root");
    }
    return origin + "\n" + treeSize + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n" + TIMESTAMP + " "
        + timestamp + "\n";
  }

  /** Signs a tree head as a C2SP checkpoint with {@code key} (named after the origin) and its private half. */
  public static NoteCheckpoint sign(NoteKey key, PrivateKey privateKey, long treeSize, byte[] rootHash, Instant timestamp)
      throws GeneralSecurityException {
    return parse(key.sign(body(key.name(), treeSize, rootHash, timestamp), privateKey));
  }

  /**
   * Reads the checkpoint body of a signed note (signatures are checked by {@link #verifiedBy}).
   *
   * @throws IllegalArgumentException if the text is not a checkpoint with a timestamp extension line
   */
  public static NoteCheckpoint parse(SignedNote note) {
    String[] lines = note.text().split("\n", -1);
    // lines ends with "" after the final newline; origin, size and root are mandatory.
    if (lines.length < 4 || lines[0].isEmpty()) {
      throw new IllegalArgumentException("a checkpoint has an origin, a size and a root hash line");
    }
    if (!lines[1].matches("0|[1-9][0-9]{0,18}")) {
      throw new IllegalArgumentException("tree size is not a decimal without leading zeros");
    }
    long size = Long.parseLong(lines[1]);
    byte[] root;
    try {
      root = Base64.getDecoder().decode(lines[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("root hash is not base64", e);
    }
    if (root.length != HASH_BYTES) {
      throw new IllegalArgumentException("root hash is not 32 bytes");
    }
    Instant time = null;
    for (int i = 3; i < lines.length - 1; i++) {
      if (lines[i].isEmpty()) {
        throw new IllegalArgumentException("empty extension line");
      }
      if (lines[i].startsWith(TIMESTAMP + " ")) {
        if (time != null) {
          throw new IllegalArgumentException("more than one timestamp line");
        }
        try {
          time = Instant.parse(lines[i].substring(TIMESTAMP.length() + 1));
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("timestamp is not an ISO-8601 instant", e);
        }
      }
    }
    if (time == null) {
      throw new IllegalArgumentException("checkpoint has no timestamp line");
    }
    return new NoteCheckpoint(lines[0], size, root, time, note);
  }

  /**
   * True if a signature by the key named after this checkpoint's origin, with {@code key}'s public key, verifies;
   * when {@code key} pins an origin, this checkpoint must name it.
   */
  @Override
  public boolean verifiedBy(CheckpointKey key) {
    if (key.origin().isPresent() && !key.origin().get().equals(origin)) {
      return false;
    }
    try {
      return new NoteKey(origin, key.publicKey()).verifies(note);
    } catch (IllegalArgumentException e) {
      // an origin that is not a valid key name cannot carry a valid signature
      return false;
    }
  }

  /** @return the signed note, as standard C2SP tools read it */
  @Override
  public String encode() {
    return note.encode();
  }

  @Override
  public String toString() {
    return describe();
  }
}
