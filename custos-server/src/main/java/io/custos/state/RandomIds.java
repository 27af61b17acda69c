package io.custos.state;

import java.security.SecureRandom;
import java.util.Base64;

/** Unguessable identifiers: 128 random bits as 22 base64url characters. */
final class RandomIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private RandomIds() {}

  static String next() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
  }
}
