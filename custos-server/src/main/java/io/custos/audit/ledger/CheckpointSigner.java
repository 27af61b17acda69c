package io.custos.audit.ledger;

import io.custos.verify.CheckpointLog;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
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
 * key as a C2SP verifier key in {@value #VKEY_FILE} in the ledger directory.
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
   * The signer of the ledger in {@code dir}: its origin is read from {@value #VKEY_FILE}, else from the last
   * signed-note checkpoint, else newly chosen; the verifier key file is (re)written for {@code publicKey}.
   *
   * @throws LedgerCorruptException if the verifier key file is malformed (the origin must not change silently)
   */
  static CheckpointSigner forLedger(Path dir, PrivateKey privateKey, PublicKey publicKey) throws IOException {
    return forLedger(dir, Optional.empty(), privateKey, publicKey);
  }

  /**
   * As {@link #forLedger(Path, PrivateKey, PublicKey)}; with {@code shared} checkpoints (a fleet's database) the
   * origin is the one the database holds, claimed by the first server, so every server signs under one origin.
   */
  static CheckpointSigner forLedger(Path dir, Optional<SharedCheckpoints> shared, PrivateKey privateKey,
      PublicKey publicKey) throws IOException {
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
    NoteKey key = new NoteKey(origin, publicKey);
    String vkey = key.vkey() + "\n";
    if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(vkey)) {
      Files.writeString(file, vkey, StandardCharsets.UTF_8);
    }
    return new CheckpointSigner(key, privateKey);
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

  /** Signs the tree head of {@code treeSize} entries with root {@code root} at {@code timestamp}. */
  public NoteCheckpoint sign(long treeSize, byte[] root, Instant timestamp) throws GeneralSecurityException {
    return NoteCheckpoint.sign(key, privateKey, treeSize, root, timestamp);
  }
}
