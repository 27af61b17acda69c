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

  /** The key that signs now and the first instant it may sign at (the instant its transition names). */
  private record Signing(NoteKey key, PrivateKey privateKey, Instant validFrom) {}

  private final Path dir;
  private final Optional<SharedCheckpoints> shared;
  private final KeySource keys;
  private volatile Signing signing;

  private CheckpointSigner(Path dir, Optional<SharedCheckpoints> shared, KeySource keys, Signing signing) {
    this.dir = dir;
    this.shared = shared;
    this.keys = keys;
    this.signing = signing;
  }

  /**
   * The signer of the ledger in {@code dir} with the current checkpoint key of {@code keys}: its origin is read from
   * {@value #VKEY_FILE}, else from the last signed-note checkpoint, else newly chosen; with {@code shared}
   * checkpoints (a fleet's database) it is the one the database holds, claimed by the first server, so every server
   * signs under one origin. The verifier key file is
   * (re)written for the current key, and the key's transition statements are published as
   * {@link KeyTransitions#FILE} beside it.
   *
   * @throws LedgerCorruptException if the verifier key file is malformed (the origin must not change silently), or
   *     the ledger published key transitions the key directory lacks
   */
  static CheckpointSigner forLedger(Path dir, Optional<SharedCheckpoints> shared, KeySource keys)
      throws IOException, GeneralSecurityException {
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
    if (shared.isPresent()) {
      origin = shared.get().claimOrigin(origin);
    }
    List<KeyTransition> transitions = keys.checkpointKeyTransitions();
    return new CheckpointSigner(dir, shared, keys, publish(dir, shared, origin, transitions, keys.checkpointPublicKey(),
        keys.checkpointSigningKey()));
  }

  /**
   * Publishes the key's transition statements and its verifier key in the ledger directory (and the statements in
   * the {@code shared} store), before anything is signed with it, so verifiers that pinned an earlier key find the
   * chain to this one.
   */
  private static Signing publish(Path dir, Optional<SharedCheckpoints> shared, String origin, List<KeyTransition> transitions,
      PublicKey publicKey, PrivateKey privateKey) throws IOException {
    if (!transitions.isEmpty() && !KeyTransition.sameKey(transitions.getLast().newKey().publicKey(), publicKey)) {
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
    if (shared.isPresent()) {
      shared.get().publishKeyTransitions(transitions);
    }
    NoteKey key = new NoteKey(origin, publicKey);
    Path file = dir.resolve(VKEY_FILE);
    String vkey = key.vkey() + "\n";
    if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(vkey)) {
      Files.writeString(file, vkey, StandardCharsets.UTF_8);
    }
    return new Signing(key, privateKey, transitions.isEmpty() ? Instant.MIN : transitions.getLast().from());
  }

  /**
   * The key to sign with now. When the key directory endorsed a newer key since (a {@code custos keys rotate} while
   * the server runs), switches to it after publishing its statement, so the retired key signs nothing after its
   * retirement.
   *
   * @throws GeneralSecurityException while a rotation is half done (its statement written, the new key not yet in
   *     place): the checkpoint is signed at the next attempt
   */
  private Signing current() throws GeneralSecurityException {
    Signing s = signing;
    List<KeyTransition> transitions = keys.checkpointKeyTransitions();
    if (transitions.isEmpty() || KeyTransition.sameKey(transitions.getLast().newKey().publicKey(), s.key().publicKey())) {
      return s;
    }
    PublicKey endorsed = keys.checkpointPublicKey();
    if (!KeyTransition.sameKey(transitions.getLast().newKey().publicKey(), endorsed)) {
      throw new GeneralSecurityException("checkpoint key rotation under way; the checkpoint is signed at the next attempt");
    }
    try {
      signing = s = publish(dir, shared, s.key().name(), transitions, endorsed, keys.checkpointSigningKey());
    } catch (IOException e) {
      throw new GeneralSecurityException("could not publish the checkpoint key transition", e);
    }
    return s;
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

  /** @return the note key: the ledger's origin and the checkpoint public key signing now */
  public NoteKey key() {
    return signing.key();
  }

  /** Signs {@code text} (C2SP signed-note text rules) as a note by the ledger's current key, named after its origin. */
  public SignedNote signNote(String text) throws GeneralSecurityException {
    Signing s = current();
    return s.key().sign(text, s.privateKey());
  }

  /**
   * Signs the tree head of {@code treeSize} entries with root {@code root} at {@code timestamp}, with the current key;
   * a timestamp before that key's transition instant (another host's clock running behind) is raised to it, so the
   * checkpoint lies in the key's validity period.
   */
  public NoteCheckpoint sign(long treeSize, byte[] root, Instant timestamp) throws GeneralSecurityException {
    Signing s = current();
    return NoteCheckpoint.sign(s.key(), s.privateKey(), treeSize, root, timestamp.isBefore(s.validFrom()) ? s.validFrom()
        : timestamp);
  }

  /**
   * The key an offline check of the ledger in {@code ledgerDir} should start from: its first checkpoint key, the one
   * retired by the first key-transition statement it publishes, or, if its key never rotated, the PEM copy in it
   * (pinning a later key could not vouch for the checkpoints signed before it).
   *
   * @throws IOException if neither is readable
   */
  public static io.custos.verify.checkpoint.CheckpointKey firstKey(Path ledgerDir) throws IOException {
    var transitions = io.custos.verify.KeyTransitions.read(ledgerDir).transitions();
    return transitions.isEmpty()
        ? io.custos.verify.checkpoint.CheckpointKey.read(ledgerDir.resolve(LocalKeySource.PUBLIC_KEY))
        : io.custos.verify.checkpoint.CheckpointKey.anyOrigin(transitions.get(0).oldKey().publicKey());
  }
}
