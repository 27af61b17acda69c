package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.custos.verify.checkpoint.CheckpointKey;
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
 * written before the rotation stay readable: Tink ciphertexts carry the id of the key that made them.
 *
 * <p>Files: {@code ledger.keyset.json}, {@code token-map.keyset.json}, {@code checkpoint-ed25519.key}
 * (PKCS#8), {@code checkpoint-public.pem} (X.509 SubjectPublicKeyInfo, PEM; the file given to auditors).
 */
public final class LocalKeySource implements KeySource {
  public static final String LEDGER_KEYSET = "ledger.keyset.json";
  public static final String TOKEN_MAP_KEYSET = "token-map.keyset.json";
  /** Seals MCP 2026-07-28 request states (multi-round-trip requests); created on first open where missing. */
  public static final String REQUEST_STATE_KEYSET = "request-state.keyset.json";
  private static final List<String> AEAD_KEYSETS = List.of(LEDGER_KEYSET, TOKEN_MAP_KEYSET, REQUEST_STATE_KEYSET);
  public static final String SIGNING_KEY = "checkpoint-ed25519.key";
  public static final String PUBLIC_KEY = "checkpoint-public.pem";

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
  private volatile PrivateKey signingKey;
  private volatile PublicKey publicKey;

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
      byte[] pk8 = kp.getPrivate().getEncoded();
      writeSecret(dir.resolve(SIGNING_KEY), kek.isPresent() ? kek.get().encrypt(pk8, KEYSET_AD) : pk8);
      Files.writeString(dir.resolve(PUBLIC_KEY), CheckpointKey.toPem(kp.getPublic()));
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not create keys: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Adds a fresh AES256_GCM key to the ledger, token-map and request-state keysets and makes it primary; old keys stay
   * for decryption. The checkpoint signing key is not rotated (auditors pin its public key).
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
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not rotate keys: " + e.getClass().getSimpleName(), e);
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
    PrivateKey k = signingKey;
    if (k == null) {
      try {
        byte[] stored = Files.readAllBytes(dir.resolve(SIGNING_KEY));
        byte[] pk8 = kek.isPresent() ? kek.get().decrypt(stored, KEYSET_AD) : stored;
        signingKey = k = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pk8));
      } catch (IOException e) {
        throw new GeneralSecurityException("signing key unreadable", e);
      }
    }
    return k;
  }

  @Override
  public PublicKey checkpointPublicKey() throws GeneralSecurityException {
    PublicKey k = publicKey;
    if (k == null) {
      try {
        publicKey = k = CheckpointKey.fromPem(Files.readString(dir.resolve(PUBLIC_KEY)));
      } catch (IOException | IllegalArgumentException e) {
        throw new GeneralSecurityException("public key unreadable", e);
      }
    }
    return k;
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
