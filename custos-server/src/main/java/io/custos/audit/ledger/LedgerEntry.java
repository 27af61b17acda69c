package io.custos.audit.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One stored ledger entry: format version, the event id in the clear (a random UUID, not PHI, so
 * {@code custos audit prove EVENT_ID} works without keys) and the Tink AES-256-GCM ciphertext of the event
 * JSON (45 CFR 164.312(a)(2)(iv)). The Merkle leaf hash covers these exact bytes (RFC 9162 2.1.1).
 *
 * <p>Layout: {@code [0x01][event id length: 1 byte][event id UTF-8][ciphertext]}.
 */
public record LedgerEntry(String eventId, byte[] ciphertext) {
  static final byte VERSION = 1;

  public byte[] encode() {
    byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
    if (id.length > 255) {
      throw new IllegalArgumentException("event id too long");
    }
    return ByteBuffer.allocate(2 + id.length + ciphertext.length).put(VERSION).put((byte) id.length).put(id).put(ciphertext).array();
  }

  /** @throws IllegalArgumentException if {@code bytes} is not an encoded entry */
  public static LedgerEntry decode(byte[] bytes) {
    if (bytes.length < 2 || bytes[0] != VERSION) {
      throw new IllegalArgumentException("unknown ledger entry format");
    }
    int n = bytes[1] & 0xff;
    if (bytes.length < 2 + n) {
      throw new IllegalArgumentException("truncated ledger entry");
    }
    byte[] ct = new byte[bytes.length - 2 - n];
    System.arraycopy(bytes, 2 + n, ct, 0, ct.length);
    return new LedgerEntry(new String(bytes, 2, n, StandardCharsets.UTF_8), ct);
  }

  /** The event id of an encoded entry without copying the ciphertext; null if malformed. */
  public static String eventIdOf(byte[] bytes) {
    if (bytes.length < 2 || bytes[0] != VERSION || bytes.length < 2 + (bytes[1] & 0xff)) {
      return null;
    }
    return new String(bytes, 2, bytes[1] & 0xff, StandardCharsets.UTF_8);
  }

  /** AEAD associated data binding a ciphertext to its leaf index, so a moved entry no longer decrypts. */
  public static byte[] associatedData(long leafIndex) {
    return ByteBuffer.allocate(24).put("custos.ledger.v1".getBytes(StandardCharsets.US_ASCII)).putLong(leafIndex).array();
  }
}
