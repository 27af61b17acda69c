package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.KeyTransitions;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.KeyTransition;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import io.custos.verify.checkpoint.SignedNote;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Signs checkpoints as C2SP tlog-checkpoint signed notes with Ed25519 (RFC 8032, the JDK's {@code Ed25519}), so an
 * auditor holding only the public key, with {@code custos-verify} or any standard transparency-log verifier or
 * witness, can tell genuine tree heads from forged ones (45 CFR 164.312(c)(2)).
 *
 * <p>Origin: each ledger has one, {@code custos/ledger/<32 hex digits>} (128 random bits, chosen when the ledger
 * first signs and never changed), which is also the key name of its signatures. It is published with the public
 * key as a C2SP verifier key in {@value #VKEY_FILE} in the ledger directory. The key may rotate
 * ({@code custos keys rotate}); the origin stays, and the transition statements that chain each key to the previous
 * one are published beside the verifier key ({@link KeyTransitions#FILE}).
 */
public final class CheckpointSigner {
  /** File in the ledger directory holding the C2SP verifier key {@code <origin>+<key id>+<base64 key>}. */
  public static final String VKEY_FILE = "checkpoint.vkey";
  static final String ORIGIN_PREFIX = "custos/ledger/";

  private final NoteKey key;
  private final PrivateKey privateKey;

  /** @param key the note key (origin as name, public key); @param privateKey its private half */
  public CheckpointSigner(NoteKey key, PrivateKey privateKey) {
    this.key = key;
    this.privateKey = privateKey;
  }

  /**
   * The signer of the ledger in {@code dir} with the current checkpoint key of {@code keys}: its origin is read from
   * {@value #VKEY_FILE}, else from the last signed-note checkpoint, else newly chosen; the verifier key file is
   * (re)written for the current key, and the key's transition statements are published as
   * {@link KeyTransitions#FILE} beside it.
   *
   * @throws LedgerCorruptException if the verifier key file is malformed (the origin must not change silently), or
   *     the ledger published key transitions the key directory lacks
   */
  static CheckpointSigner forLedger(Path dir, KeySource keys) throws IOException, GeneralSecurityException {
    Path file = dir.resolve(VKEY_FILE);
    String origin;
    if (Files.exists(file)) {
      try {
        origin = NoteKey.parseVkey(Files.readString(file, StandardCharsets.UTF_8).strip()).name();
      } catch (IllegalArgumentException e) {
        throw new LedgerCorruptException(VKEY_FILE + " in " + dir + " is not a valid C2SP verifier key; restore it");
      }
    } else {
      origin = lastOrigin(CheckpointLog.read(dir).checkpoints()).orElseGet(CheckpointSigner::newOrigin);
    }
    PublicKey publicKey = keys.checkpointPublicKey();
    publishTransitions(dir, keys.checkpointKeyTransitions(), publicKey);
    NoteKey key = new NoteKey(origin, publicKey);
    String vkey = key.vkey() + "\n";
    if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(vkey)) {
      Files.writeString(file, vkey, StandardCharsets.UTF_8);
    }
    return new CheckpointSigner(key, keys.checkpointSigningKey());
  }

  /**
   * Publishes the key directory's transition statements in the ledger directory before anything is signed with the
   * key they endorse, so verifiers that pinned an earlier key find the chain to the current one.
   */
  private static void publishTransitions(Path dir, List<KeyTransition> transitions, PublicKey current) throws IOException {
    if (!transitions.isEmpty() && !KeyTransition.sameKey(transitions.get(transitions.size() - 1).newKey().publicKey(), current)) {
      throw new LedgerCorruptException("the key directory's last checkpoint key transition does not endorse its checkpoint"
          + " key; restore the key directory");
    }
    Path published = dir.resolve(KeyTransitions.FILE);
    String have = Files.exists(published) ? Files.readString(published, StandardCharsets.UTF_8) : "";
    String want = KeyTransitions.encode(transitions);
    if (!want.startsWith(have)) {
      throw new LedgerCorruptException(KeyTransitions.FILE + " in " + dir + " holds checkpoint key transitions the key"
          + " directory lacks: it is older than the ledger; restore the current key directory");
    }
    if (!want.equals(have)) {
      KeyTransitions.write(dir, want);
    }
  }

  private static Optional<String> lastOrigin(List<Checkpoint> checkpoints) {
    Optional<String> origin = Optional.empty();
    for (Checkpoint cp : checkpoints) {
      if (cp instanceof NoteCheckpoint n) {
        origin = Optional.of(n.origin());
      }
    }
    return origin;
  }

  private static String newOrigin() {
    byte[] id = new byte[16];
    new SecureRandom().nextBytes(id);
    return ORIGIN_PREFIX + HexFormat.of().formatHex(id);
  }

  /** @return the note key: the ledger's origin and the checkpoint public key */
  public NoteKey key() {
    return key;
  }

  /** Signs {@code text} (C2SP signed-note text rules) as a note by the ledger's key, named after its origin. */
  public SignedNote signNote(String text) throws GeneralSecurityException {
    return key.sign(text, privateKey);
  }

  /** Signs the tree head of {@code treeSize} entries with root {@code root} at {@code timestamp}. */
  public NoteCheckpoint sign(long treeSize, byte[] root, Instant timestamp) throws GeneralSecurityException {
    return NoteCheckpoint.sign(key, privateKey, treeSize, root, timestamp);
  }
}
