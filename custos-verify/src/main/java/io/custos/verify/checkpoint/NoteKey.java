package io.custos.verify.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An Ed25519 signed-note key (C2SP signed-note, signature type 0x01): a key name and an Ed25519 public key
 * (RFC 8032, the JDK's {@code Ed25519} provider). Its key ID is the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || 32-byte public key); its verifier key ("vkey") is
 * {@code <name>+<key ID, 8 lowercase hex digits>+<base64(0x01 || public key)>}.
 *
 * @param name      key name (for a checkpoint: the log's origin line); no space, no {@code +}
 * @param publicKey the Ed25519 public key
 */
public record NoteKey(String name, PublicKey publicKey) {
  /** Signature type byte of Ed25519 in signed notes. */
  public static final byte ALG_ED25519 = 0x01;
  /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key (RFC 8410). */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final int KEY_BYTES = 32;

  public NoteKey {
    SignedNote.checkName(name);
    raw(publicKey);
  }

  /** @return the 32-byte raw Ed25519 public key (RFC 8032 encoding) of {@code key} */
  public static byte[] raw(PublicKey key) {
    byte[] spki = key.getEncoded();
    if (!"Ed25519".equals(key.getAlgorithm()) && !"EdDSA".equals(key.getAlgorithm())
        || spki.length != SPKI_PREFIX.length + KEY_BYTES
        || !Arrays.equals(spki, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      throw new IllegalArgumentException("not an Ed25519 public key");
    }
    return Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length);
  }

  /** @return the Ed25519 public key whose raw RFC 8032 encoding is {@code raw} (32 bytes) */
  public static PublicKey fromRaw(byte[] raw) {
    if (raw.length != KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
    }
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_BYTES);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, KEY_BYTES);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key", e);
    }
  }

  /** @return the 4-byte key ID, SHA-256(name || 0x0A || 0x01 || public key)[0..4] */
  public byte[] keyId() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(name.getBytes(StandardCharsets.UTF_8));
      md.update((byte) '\n');
      md.update(ALG_ED25519);
      md.update(raw(publicKey));
      return Arrays.copyOf(md.digest(), 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** @return the verifier key string, {@code <name>+<hex key ID>+<base64(0x01 || public key)>} */
  public String vkey() {
    byte[] typed = new byte[1 + KEY_BYTES];
    typed[0] = ALG_ED25519;
    System.arraycopy(raw(publicKey), 0, typed, 1, KEY_BYTES);
    return name + "+" + HexFormat.of().formatHex(keyId()) + "+" + Base64.getEncoder().encodeToString(typed);
  }

  /**
   * Parses a verifier key string.
   *
   * @throws IllegalArgumentException if it is malformed, not Ed25519, or its key ID does not match name and key
   */
  public static NoteKey parseVkey(String vkey) {
    int a = vkey.indexOf('+');
    int b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
    if (b < 0) {
      throw new IllegalArgumentException("a verifier key is <name>+<key ID>+<key>");
    }
    String id = vkey.substring(a + 1, b);
    if (!id.matches("[0-9a-f]{8}")) {
      throw new IllegalArgumentException("verifier key ID is not 8 lowercase hex digits");
    }
    byte[] typed;
    try {
      typed = Base64.getDecoder().decode(vkey.substring(b + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("verifier key is not base64", e);
    }
    if (typed.length != 1 + KEY_BYTES || typed[0] != ALG_ED25519) {
      throw new IllegalArgumentException("verifier key is not an Ed25519 (type 0x01) key");
    }
    NoteKey k = new NoteKey(vkey.substring(0, a), fromRaw(Arrays.copyOfRange(typed, 1, typed.length)));
    if (!HexFormat.of().formatHex(k.keyId()).equals(id)) {
      throw new IllegalArgumentException("verifier key ID does not match its name and key");
    }
    return k;
  }

  /** @return true if {@code note} carries a valid signature by this key (same name, key ID and Ed25519 signature) */
  public boolean verifies(SignedNote note) {
    byte[] id = keyId();
    for (SignedNote.Signature s : note.signatures()) {
      if (s.name().equals(name) && MessageDigest.isEqual(s.keyId(), id) && ed25519Verify(note.signedBytes(), s.signature())) {
        return true;
      }
    }
    return false;
  }

  /** Signs {@code text} (which must follow the note text rules) with {@code privateKey}, the private half of this key. */
  public SignedNote sign(String text, PrivateKey privateKey) throws GeneralSecurityException {
    SignedNote.checkText(text);
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(privateKey);
    s.update(text.getBytes(StandardCharsets.UTF_8));
    return new SignedNote(text, java.util.List.of(new SignedNote.Signature(name, keyId(), s.sign())));
  }

  private boolean ed25519Verify(byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(publicKey);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
