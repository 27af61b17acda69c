package io.custos.writes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Canonical JSON (object keys sorted recursively, no insignificant whitespace; in the spirit of RFC 8785) and its
 * SHA-256: the digest a proposal is bound to. Two payloads hash equal exactly when they are the same JSON value.
 */
public final class CanonicalJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private CanonicalJson() {}

  /** Canonical form of a JSON-ready value (maps, lists, strings, numbers, booleans, null). */
  public static String of(Object value) {
    try {
      // Round-trip through a tree so nested maps of any implementation are sorted.
      Object tree = MAPPER.readValue(MAPPER.writeValueAsBytes(value), Object.class);
      return MAPPER.writeValueAsString(tree);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("value is not JSON-serializable");
    }
  }

  /** Canonical form of a JSON text. */
  public static String ofJson(String json) {
    try {
      return of(MAPPER.readValue(json, Object.class));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON");
    }
  }

  /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
  public static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
