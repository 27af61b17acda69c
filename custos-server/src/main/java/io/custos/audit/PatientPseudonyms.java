package io.custos.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed pseudonyms for patient references (HMAC-SHA256 over {@code Patient/<id>}), so the audit trail
 * can link events about one patient without ever holding the id. Without the key a pseudonym cannot
 * be reversed or recomputed from a guessed id.
 */
public final class PatientPseudonyms {
  private final SecretKeySpec key;
  private final java.util.function.BiConsumer<String, String> onTokenized;
  /** One keyed MAC per thread: {@code Mac} is not thread-safe, and looking one up per call showed in profiles. */
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  /** @param key at least 32 bytes of secret key material */
  public PatientPseudonyms(byte[] key) {
    this(key, (pseudonym, id) -> { });
  }

  /**
   * @param key         at least 32 bytes of secret key material
   * @param onTokenized told (pseudonym, patient id) for every tokenization, e.g. to fill the encrypted token
   *                    map ({@code io.custos.audit.ledger.TokenMap#remember}); must not log either value
   */
  public PatientPseudonyms(byte[] key, java.util.function.BiConsumer<String, String> onTokenized) {
    this.onTokenized = onTokenized;
    if (key.length < 32) {
      throw new IllegalArgumentException("pseudonym key must be at least 32 bytes");
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
  }

  /** @return {@code pt_} followed by 32 hex characters (128 bits of the HMAC) */
  public String tokenize(String patientId) {
    // doFinal resets the MAC for the next use on this thread.
    byte[] out = macs.get().doFinal(("Patient/" + patientId).getBytes(StandardCharsets.UTF_8));
    String pseudonym = "pt_" + HexFormat.of().formatHex(out, 0, 16);
    onTokenized.accept(pseudonym, patientId);
    return pseudonym;
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
