package io.custos.audit;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Ids of audit events and calls: 128 random bits, hex, with a prefix ({@code ev-…}, {@code call-…}). Deliberately not
 * UUID-shaped: patient ids often are UUIDs, so the log masking layer hashes every UUID with a per-process salt, and an
 * alert that names its ledger event must name it in a form that survives the masking and can be looked up.
 */
public final class AuditIds {
  /**
   * One DRBG (NIST SP 800-90A, seeded by the JDK from the system's entropy) per thread: the default {@code NativePRNG}
   * serialises every caller on one lock, which showed as blocked threads under load.
   */
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(AuditIds::drbg);

  private AuditIds() {}

  /** A new audit event id. */
  public static String event() {
    return "ev-" + random();
  }

  /** A new call (correlation) id, shared by a call's INTENT and RESULT events. */
  public static String call() {
    return "call-" + random();
  }

  private static String random() {
    byte[] b = new byte[16];
    RANDOM.get().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static SecureRandom drbg() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("DRBG unavailable", e);
    }
  }
}
