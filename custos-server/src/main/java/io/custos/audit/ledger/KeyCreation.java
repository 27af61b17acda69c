package io.custos.audit.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * When each key file's current (primary) key was made, kept as {@value #FILE} in the key directory. Tink keysets and
 * PKCS#8 files carry no creation time, and a file's modification time changes with a copy or a restore, so key
 * creation and rotation record it here for the key-age check of 45 CFR 164.316(b)(2) (rotation due after a year).
 * The file holds file names and instants only, no key material: {@code {"schema": "custos.key-created/1", "keys":
 * {"ledger.keyset.json": "2026-11-29T19:00:00Z", ...}}}.
 */
public final class KeyCreation {
  /** File name in the key directory. */
  public static final String FILE = "key-created.json";
  private static final String SCHEMA = "custos.key-created/1";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private KeyCreation() {}

  /** Records that the keys in {@code files} (names in {@code dir}) were made at {@code at}; others keep their entry. */
  public static synchronized void record(Path dir, Collection<String> files, Instant at) throws IOException {
    Map<String, Instant> all = new TreeMap<>(read(dir));
    files.forEach(f -> all.put(f, at));
    Map<String, String> keys = new TreeMap<>();
    all.forEach((k, v) -> keys.put(k, v.toString()));
    Path tmp = Files.createTempFile(dir, FILE, ".tmp");
    JSON.writeValue(tmp.toFile(), Map.of("schema", SCHEMA, "keys", keys));
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Key file name to the creation of its current key; empty when the directory has no {@value #FILE} (keys made by
   * an older version).
   *
   * @throws IOException when the file exists but is not a {@value #SCHEMA} document
   */
  public static Map<String, Instant> read(Path dir) throws IOException {
    JsonNode n;
    try {
      n = JSON.readTree(Files.readAllBytes(dir.resolve(FILE)));
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    if (!SCHEMA.equals(n.path("schema").asText())) {
      throw new IOException(FILE + " is not a " + SCHEMA + " document");
    }
    Map<String, Instant> out = new TreeMap<>();
    n.path("keys").properties().forEach(e -> out.put(e.getKey(), Instant.parse(e.getValue().asText())));
    return out;
  }
}
