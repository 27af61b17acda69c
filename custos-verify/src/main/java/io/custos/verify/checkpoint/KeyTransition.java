package io.custos.verify.checkpoint;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A checkpoint key transition: the retiring Ed25519 checkpoint key endorses its successor, which signs checkpoints
 * from {@link #from()} on. A C2SP signed note (https://c2sp.org/signed-note) signed by the OLD key under the key
 * name {@value #KEY_NAME}; both keys appear as C2SP verifier keys of that name. The statement names no ledger
 * origin, so one statement serves every ledger signed from one key directory. Its second line is not a decimal, so
 * it never parses as a {@link NoteCheckpoint}.
 *
 * <pre>
 * custos-checkpoint-key-transition/v1
 * old custos-checkpoint-key+1a2b3c4d+AQ...
 * new custos-checkpoint-key+5e6f7a8b+AQ...
 * from 2026-11-29T16:30:00.123Z
 *
 * — custos-checkpoint-key Gisx...
 * </pre>
 *
 * @param oldKey the retired key, named {@value #KEY_NAME}
 * @param newKey the endorsed successor, named {@value #KEY_NAME}
 * @param from   the first instant at which checkpoints are signed by {@code newKey} (and no longer by {@code oldKey})
 * @param note   the signed note carrying all of the above
 */
public record KeyTransition(NoteKey oldKey, NoteKey newKey, Instant from, SignedNote note) {
  /** First line of every transition statement. */
  public static final String TAG = "custos-checkpoint-key-transition/v1";
  /** Key name of the statement's signature and of both verifier keys it names. */
  public static final String KEY_NAME = "custos-checkpoint-key";

  /** @return the statement text: tag, old and new verifier keys, start instant of the new key */
  public static String body(PublicKey oldKey, PublicKey newKey, Instant from) {
    return TAG + "\nold " + new NoteKey(KEY_NAME, oldKey).vkey() + "\nnew " + new NoteKey(KEY_NAME, newKey).vkey()
        + "\nfrom " + from + "\n";
  }

  /** Signs the transition from {@code oldKey} (private half {@code oldPrivate}) to {@code newKey} at {@code from}. */
  public static KeyTransition sign(PublicKey oldKey, PrivateKey oldPrivate, PublicKey newKey, Instant from)
      throws GeneralSecurityException {
    return parse(new NoteKey(KEY_NAME, oldKey).sign(body(oldKey, newKey, from), oldPrivate));
  }

  /**
   * Reads the statement in a signed note (the signature is checked by {@link #signedByOldKey()}).
   *
   * @throws IllegalArgumentException if the text is not a transition statement
   */
  public static KeyTransition parse(SignedNote note) {
    String[] lines = note.text().split("\n", -1);
    if (lines.length != 5 || !TAG.equals(lines[0]) || !lines[1].startsWith("old ") || !lines[2].startsWith("new ")
        || !lines[3].startsWith("from ")) {
      throw new IllegalArgumentException("a key transition is " + TAG + ", old, new and from lines");
    }
    NoteKey oldKey = NoteKey.parseVkey(lines[1].substring(4));
    NoteKey newKey = NoteKey.parseVkey(lines[2].substring(4));
    if (!KEY_NAME.equals(oldKey.name()) || !KEY_NAME.equals(newKey.name())) {
      throw new IllegalArgumentException("key transition keys are named " + KEY_NAME);
    }
    try {
      return new KeyTransition(oldKey, newKey, Instant.parse(lines[3].substring(5)), note);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("key transition time is not an ISO-8601 instant", e);
    }
  }

  /** @return true if the note carries a valid signature by the key it retires */
  public boolean signedByOldKey() {
    return oldKey.verifies(note);
  }

  /** @return true if {@code a} and {@code b} are the same Ed25519 public key */
  public static boolean sameKey(PublicKey a, PublicKey b) {
    return MessageDigest.isEqual(NoteKey.raw(a), NoteKey.raw(b));
  }

  /** @return a short id of {@code key} for reports: its key ID under {@value #KEY_NAME}, hex */
  public static String id(PublicKey key) {
    return java.util.HexFormat.of().formatHex(new NoteKey(KEY_NAME, key).keyId());
  }

  /** @return the statement as stored: the signed note followed by the blank line that ends its entry */
  public String entry() {
    return note.encode() + "\n";
  }
}
