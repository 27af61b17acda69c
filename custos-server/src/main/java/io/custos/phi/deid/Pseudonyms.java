package io.custos.phi.deid;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed pseudonyms (HMAC-SHA256) for identifiers that must stay linkable across a data set (45 CFR
 * 164.514(c): a re-identification code not derived from the identifier in a way that can be reversed
 * without the key) and the per-patient date shift. Thread-safe.
 */
final class Pseudonyms {
  private final SecretKeySpec key;

  Pseudonyms(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  byte[] hmac(String namespace, String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(namespace.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  /** 32 hex characters (128 bits): a valid FHIR id and identifier value. */
  String pseudonym(String namespace, String value) {
    return HexFormat.of().formatHex(hmac(namespace, value), 0, 16);
  }

  /** Days in {@code [-max, max]} excluding 0, the same for every call with the same patient. */
  int shiftDays(String patientId, int max) {
    byte[] h = hmac("date-shift", patientId == null ? "" : patientId);
    int v = ((h[0] & 0xff) << 8) | (h[1] & 0xff);
    int days = v % (2 * max + 1) - max;
    return days == 0 ? 1 : days;
  }
}
