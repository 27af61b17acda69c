package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.custos.verify.KeyTransitions;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.KeyTransition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The default {@link KeySource}: Tink keysets (AES256_GCM, with key ids) and an Ed25519 key pair in a key
 * directory, owner-only permissions. With a key-encryption key ({@code kek}, e.g. a Tink AEAD backed by a
 * cloud KMS) the keysets and the signing key are stored envelope-encrypted; without one they are stored
 * in the clear, protected by file permissions only.
 *
 * <p>Rotation ({@link #rotate}) adds a new primary key to each keyset and keeps the old ones, so entries
 * written before the rotation stay readable: Tink ciphertexts carry the id of the key that made them. The checkpoint
 * key rotates separately ({@link #rotateCheckpointKey}): the old key signs a {@link KeyTransition} endorsing the new
 * one, and is then deleted; only its public half stays, inside the transition statement.
 *
 * <p>Files: {@code ledger.keyset.json}, {@code token-map.keyset.json}, {@code checkpoint-ed25519.key}
 * (PKCS#8), {@code checkpoint-public.pem} (X.509 SubjectPublicKeyInfo, PEM; the file given to auditors),
 * {@value KeyTransitions#FILE} (the checkpoint key's transition statements, once it was rotated).
 */
public final class LocalKeySource implements KeySource {
  public static final String LEDGER_KEYSET = "ledger.keyset.json";
  public static final String TOKEN_MAP_KEYSET = "token-map.keyset.json";
  /** Seals MCP 2026-07-28 request states (multi-round-trip requests); created on first open where missing. */
  public static final String REQUEST_STATE_KEYSET = "request-state.keyset.json";
  private static final List<String> AEAD_KEYSETS = List.of(LEDGER_KEYSET, TOKEN_MAP_KEYSET, REQUEST_STATE_KEYSET);
  public static final String SIGNING_KEY = "checkpoint-ed25519.key";
  public static final String PUBLIC_KEY = "checkpoint-public.pem";
  /** Suffix of the new checkpoint key pair while a rotation is under way (between key generation and endorsement). */
  private static final String NEXT = ".next";

  private static final byte[] KEYSET_AD = "custos.keyset.v1".getBytes(StandardCharsets.UTF_8);

  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Path dir;
  private final Optional<Aead> kek;
  private volatile Aead ledger;
  private volatile Aead tokenMap;
  private volatile Aead requestState;
  private volatile SigningPair signingPair;

  /** The checkpoint key pair as read, and how many transition statements the key directory held then. */
  private record SigningPair(PrivateKey privateKey, PublicKey publicKey, int rotations) {}

  private LocalKeySource(Path dir, Optional<Aead> kek) {
    this.dir = dir;
    this.kek = kek;
  }

  /** Opens existing keys in {@code dir}. @throws IOException if they are missing */
  public static LocalKeySource open(Path dir) throws IOException {
    return open(dir, Optional.empty());
  }

  /** Opens existing keys in {@code dir}, unwrapping them with {@code kek} if present. */
  public static LocalKeySource open(Path dir, Optional<Aead> kek) throws IOException {
    if (!Files.exists(dir.resolve(LEDGER_KEYSET))) {
      throw new IOException("no ledger keys in " + dir + " (run: custos keys init --dir " + dir + ")");
    }
    addMissing(dir, kek);
    completeCheckpointRotation(dir);
    return new LocalKeySource(dir, kek);
  }

  /** Creates the keysets a directory made by an older version lacks (the request-state keyset). */
  private static void addMissing(Path dir, Optional<Aead> kek) throws IOException {
    for (String name : AEAD_KEYSETS) {
      if (!Files.exists(dir.resolve(name))) {
        try {
          writeKeyset(dir.resolve(name), KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), kek);
        } catch (GeneralSecurityException e) {
          throw new IOException("could not create keys: " + e.getClass().getSimpleName(), e);
        }
      }
    }
  }

  /** Opens the keys in {@code dir}, creating them first if the directory holds none. */
  public static LocalKeySource openOrCreate(Path dir) throws IOException {
    if (!Files.exists(dir.resolve(LEDGER_KEYSET))) {
      init(dir, Optional.empty());
    }
    return open(dir);
  }

  /**
   * Creates new keysets and a signing key pair in {@code dir}.
   *
   * @return public facts about what was created
   * @throws IOException if keys already exist there or cannot be written
   */
  public static List<KeysetInfo> init(Path dir, Optional<Aead> kek) throws IOException {
    if (Files.exists(dir.resolve(LEDGER_KEYSET))) {
      throw new IOException("keys already exist in " + dir + "; use rotate");
    }
    Files.createDirectories(dir);
    ownerOnly(dir, "rwx------");
    try {
      List<KeysetInfo> out = new ArrayList<>();
      for (String name : AEAD_KEYSETS) {
        KeysetHandle h = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
        writeKeyset(dir.resolve(name), h, kek);
        out.add(info(name, h));
      }
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      writeSigningKey(dir.resolve(SIGNING_KEY), kp.getPrivate(), kek);
      writePublic(dir.resolve(PUBLIC_KEY), kp.getPublic());
      List<String> made = new ArrayList<>(AEAD_KEYSETS);
      made.add(SIGNING_KEY);
      KeyCreation.record(dir, made, Instant.now());
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not create keys: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Adds a fresh AES256_GCM key to the ledger, token-map and request-state keysets and makes it primary; old keys stay
   * for decryption. The checkpoint signing key rotates with {@link #rotateCheckpointKey}.
   */
  public static List<KeysetInfo> rotate(Path dir, Optional<Aead> kek) throws IOException {
    addMissing(dir, kek);
    try {
      List<KeysetInfo> out = new ArrayList<>();
      for (String name : AEAD_KEYSETS) {
        KeysetHandle old = readKeyset(dir.resolve(name), kek);
        KeysetHandle rotated = KeysetHandle.newBuilder(old)
            .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM).withRandomId().makePrimary())
            .build();
        writeKeyset(dir.resolve(name), rotated, kek);
        out.add(info(name, rotated));
      }
      KeyCreation.record(dir, AEAD_KEYSETS, Instant.now());
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not rotate keys: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Replaces the Ed25519 checkpoint key: generates a new key pair, has the current key sign a {@link KeyTransition}
   * endorsing the new public key from {@code from} on (appended to {@value KeyTransitions#FILE}), then replaces the
   * private key file (so the retired private key is gone) and the public key file. Auditors keep the key they pinned:
   * verifiers follow the statements from it. A rotation cut short by a crash is completed, or discarded if its
   * statement was not written, at the next {@link #open} or rotation. A running server reading this directory
   * switches to the new key at its next checkpoint ({@code CheckpointSigner}); a server holding a copy of the retired
   * key elsewhere must be restarted, as the checkpoints it signs with it from {@code from} on are verification
   * findings.
   *
   * @return the statement written
   * @throws IOException if the keys cannot be read or written
   */
  public static KeyTransition rotateCheckpointKey(Path dir, Optional<Aead> kek, Instant from) throws IOException {
    completeCheckpointRotation(dir);
    try {
      PrivateKey oldPrivate = readSigningKey(dir.resolve(SIGNING_KEY), kek);
      PublicKey oldPublic = CheckpointKey.fromPem(Files.readString(dir.resolve(PUBLIC_KEY)));
      List<KeyTransition> chain = transitions(dir);
      if (!chain.isEmpty() && !from.isAfter(chain.getLast().from())) {
        throw new IOException("the checkpoint key was last rotated at " + chain.getLast().from()
            + "; a rotation must come after it");
      }
      KeyPair next = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      KeyTransition t = KeyTransition.sign(oldPublic, oldPrivate, next.getPublic(), from);
      if (!t.signedByOldKey()) {
        throw new IOException(SIGNING_KEY + " and " + PUBLIC_KEY + " in " + dir + " are not one key pair; not rotated");
      }
      writeSigningKey(dir.resolve(SIGNING_KEY + NEXT), next.getPrivate(), kek);
      writePublic(dir.resolve(PUBLIC_KEY + NEXT), next.getPublic());
      List<KeyTransition> extended = new ArrayList<>(chain);
      extended.add(t);
      KeyTransitions.write(dir, KeyTransitions.encode(extended));
      completeCheckpointRotation(dir);
      KeyCreation.record(dir, List.of(SIGNING_KEY), from);
      return t;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("could not rotate the checkpoint key: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Finishes a checkpoint key rotation whose new key pair was written: if the last transition statement endorses it,
   * it replaces the current pair (the retired private key file is replaced, hence gone); if not, the statement was
   * never written and the new pair is discarded.
   */
  private static void completeCheckpointRotation(Path dir) throws IOException {
    Path nextPrivate = dir.resolve(SIGNING_KEY + NEXT);
    Path nextPublic = dir.resolve(PUBLIC_KEY + NEXT);
    if (!Files.exists(nextPublic)) {
      Files.deleteIfExists(nextPrivate);
      return;
    }
    List<KeyTransition> chain;
    try {
      chain = transitions(dir);
    } catch (GeneralSecurityException e) {
      throw new IOException(e.getMessage(), e);
    }
    PublicKey next = CheckpointKey.fromPem(Files.readString(nextPublic));
    boolean endorsed = !chain.isEmpty() && KeyTransition.sameKey(chain.getLast().newKey().publicKey(), next);
    if (endorsed && Files.exists(nextPrivate)) {
      // Private half first: a reader that sees the new public key always finds the new private key.
      Files.move(nextPrivate, dir.resolve(SIGNING_KEY), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    if (endorsed) {
      Files.move(nextPublic, dir.resolve(PUBLIC_KEY), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.deleteIfExists(nextPrivate);
      Files.delete(nextPublic);
    }
  }

  @Override
  public List<KeyTransition> checkpointKeyTransitions() throws GeneralSecurityException {
    return transitions(dir);
  }

  private static List<KeyTransition> transitions(Path dir) throws GeneralSecurityException {
    try {
      KeyTransitions.Contents c = KeyTransitions.read(dir);
      if (!c.problems().isEmpty()) {
        throw new GeneralSecurityException(KeyTransitions.FILE + " in the key directory is damaged: " + c.problems().get(0));
      }
      return c.transitions();
    } catch (IOException e) {
      throw new GeneralSecurityException(KeyTransitions.FILE + " unreadable", e);
    }
  }

  /** Public facts about the keysets in {@code dir}. */
  public static List<KeysetInfo> describe(Path dir, Optional<Aead> kek) throws IOException {
    try {
      List<KeysetInfo> out = new ArrayList<>();
      for (String name : AEAD_KEYSETS) {
        if (!Files.exists(dir.resolve(name))) {
          continue; // made by an older version; created at the server's next start
        }
        out.add(info(name, readKeyset(dir.resolve(name), kek)));
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not read keys: " + e.getClass().getSimpleName(), e);
    }
  }

  @Override
  public Aead ledgerAead() throws GeneralSecurityException {
    Aead a = ledger;
    if (a == null) {
      ledger = a = aead(LEDGER_KEYSET);
    }
    return a;
  }

  @Override
  public Aead tokenMapAead() throws GeneralSecurityException {
    Aead a = tokenMap;
    if (a == null) {
      tokenMap = a = aead(TOKEN_MAP_KEYSET);
    }
    return a;
  }

  /**
   * AEAD that seals MCP 2026-07-28 request states: every server sharing this key directory can open the states the
   * others sealed, and they survive a restart until they expire.
   */
  public Aead requestStateAead() throws GeneralSecurityException {
    Aead a = requestState;
    if (a == null) {
      requestState = a = aead(REQUEST_STATE_KEYSET);
    }
    return a;
  }

  @Override
  public PrivateKey checkpointSigningKey() throws GeneralSecurityException {
    return signingPair().privateKey();
  }

  @Override
  public PublicKey checkpointPublicKey() throws GeneralSecurityException {
    return signingPair().publicKey();
  }

  /**
   * The checkpoint key pair, read again after each rotation ({@link #rotateCheckpointKey}, possibly by another
   * process) so a running server signs with the new key. A pair the last transition statement does not endorse (a
   * rotation half done) is returned but not kept.
   */
  private SigningPair signingPair() throws GeneralSecurityException {
    SigningPair p = signingPair;
    List<KeyTransition> chain = transitions(dir);
    if (p != null && p.rotations() == chain.size()) {
      return p;
    }
    PublicKey publicKey;
    try {
      publicKey = CheckpointKey.fromPem(Files.readString(dir.resolve(PUBLIC_KEY)));
    } catch (IOException | IllegalArgumentException e) {
      throw new GeneralSecurityException("public key unreadable", e);
    }
    p = new SigningPair(readSigningKey(dir.resolve(SIGNING_KEY), kek), publicKey, chain.size());
    if (chain.isEmpty() || KeyTransition.sameKey(chain.getLast().newKey().publicKey(), publicKey)) {
      signingPair = p;
    }
    return p;
  }

  /** @return the PEM file holding the checkpoint public key */
  public Path publicKeyFile() {
    return dir.resolve(PUBLIC_KEY);
  }

  private Aead aead(String name) throws GeneralSecurityException {
    try {
      return readKeyset(dir.resolve(name), kek).getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (IOException e) {
      throw new GeneralSecurityException("keyset " + name + " unreadable", e);
    }
  }

  private static PrivateKey readSigningKey(Path file, Optional<Aead> kek) throws GeneralSecurityException {
    try {
      byte[] stored = Files.readAllBytes(file);
      byte[] pk8 = kek.isPresent() ? kek.get().decrypt(stored, KEYSET_AD) : stored;
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pk8));
    } catch (IOException e) {
      throw new GeneralSecurityException("signing key unreadable", e);
    }
  }

  private static void writeSigningKey(Path file, PrivateKey key, Optional<Aead> kek) throws IOException, GeneralSecurityException {
    byte[] pk8 = key.getEncoded();
    writeSecret(file, kek.isPresent() ? kek.get().encrypt(pk8, KEYSET_AD) : pk8);
  }

  /** Writes a public key as PEM, atomically (temp file + rename). */
  private static void writePublic(Path file, PublicKey key) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, CheckpointKey.toPem(key));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static KeysetInfo info(String name, KeysetHandle h) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < h.size(); i++) {
      ids.add(h.getAt(i).getId());
    }
    return new KeysetInfo(name.replace(".keyset.json", ""), h.getPrimary().getId(), ids);
  }

  private static KeysetHandle readKeyset(Path file, Optional<Aead> kek) throws IOException, GeneralSecurityException {
    String json = Files.readString(file);
    return kek.isPresent()
        ? TinkJsonProtoKeysetFormat.parseEncryptedKeyset(json, kek.get(), KEYSET_AD)
        : TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
  }

  private static void writeKeyset(Path file, KeysetHandle h, Optional<Aead> kek) throws IOException, GeneralSecurityException {
    String json = kek.isPresent()
        ? TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(h, kek.get(), KEYSET_AD)
        : TinkJsonProtoKeysetFormat.serializeKeyset(h, InsecureSecretKeyAccess.get());
    writeSecret(file, json.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes atomically (temp file + rename) with owner-only permissions. */
  private static void writeSecret(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    ownerOnly(tmp, "rw-------");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void ownerOnly(Path p, String perms) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException ignored) {
      // non-POSIX file system
    }
  }

  @Override
  public String toString() {
    return "LocalKeySource[" + dir + (kek.isPresent() ? ", envelope" : "") + "]";
  }
}
