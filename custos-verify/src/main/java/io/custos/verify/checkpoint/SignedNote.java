package io.custos.verify.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A C2SP signed note (https://c2sp.org/signed-note): UTF-8 text ending in a newline, one blank line, then one or
 * more signature lines {@code "\u2014 <key name> <base64(4-byte key ID || signature)>\n"}. The text holds no ASCII
 * control character other than newline; the note ends at the last signature line. A verifier ignores signatures
 * by keys it does not know; at most {@value #MAX_SIGNATURES} signatures are accepted.
 *
 * @param text       the signed text, ending in {@code "\n"}
 * @param signatures the signature lines, in order
 */
public record SignedNote(String text, List<Signature> signatures) {
  /** Upper bound on signature lines, as the Go reference implementation (golang.org/x/mod/sumdb/note). */
  public static final int MAX_SIGNATURES = 100;
  private static final String DASH = "\u2014 ";
  private static final int KEY_ID_BYTES = 4;

  /**
   * One signature line.
   *
   * @param name      key name (non-empty, no Unicode space, no {@code +})
   * @param keyId     the 4-byte key ID of the signing key ({@link NoteKey#keyId()})
   * @param signature the signature bytes (64 for Ed25519)
   */
  public record Signature(String name, byte[] keyId, byte[] signature) {
    public Signature {
      checkName(name);
      if (keyId.length != KEY_ID_BYTES || signature.length == 0) {
        throw new IllegalArgumentException("a signature holds a 4-byte key ID and at least one signature byte");
      }
      keyId = keyId.clone();
      signature = signature.clone();
    }

    /** @return the signature line, terminated by {@code "\n"} */
    public String line() {
      return DASH + name + " " + base64() + "\n";
    }

    /** @return the signature field of the line: base64 of the key ID followed by the signature bytes */
    public String base64() {
      byte[] blob = new byte[KEY_ID_BYTES + signature.length];
      System.arraycopy(keyId, 0, blob, 0, KEY_ID_BYTES);
      System.arraycopy(signature, 0, blob, KEY_ID_BYTES, signature.length);
      return Base64.getEncoder().encodeToString(blob);
    }

    /**
     * The signature by key {@code name} whose signature field ({@link #base64()}) is {@code base64}.
     *
     * @throws IllegalArgumentException if the name is invalid or the field is not base64 of a key ID and a signature
     */
    public static Signature of(String name, String base64) {
      byte[] blob;
      try {
        blob = Base64.getDecoder().decode(base64);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("signature is not base64", e);
      }
      if (blob.length <= KEY_ID_BYTES) {
        throw new IllegalArgumentException("signature too short");
      }
      return new Signature(name, Arrays.copyOf(blob, KEY_ID_BYTES), Arrays.copyOfRange(blob, KEY_ID_BYTES, blob.length));
    }
  }

  public SignedNote {
    checkText(text);
    signatures = List.copyOf(signatures);
    if (signatures.isEmpty() || signatures.size() > MAX_SIGNATURES) {
      throw new IllegalArgumentException("a signed note carries 1.." + MAX_SIGNATURES + " signatures");
    }
  }

  /** @return the note's bytes as text: the text, a blank line, then every signature line */
  public String encode() {
    StringBuilder b = new StringBuilder(text).append('\n');
    signatures.forEach(s -> b.append(s.line()));
    return b.toString();
  }

  /** @return the bytes every signature covers: the UTF-8 text, final newline included */
  public byte[] signedBytes() {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Parses a signed note.
   *
   * @throws IllegalArgumentException if {@code note} is not a well-formed signed note
   */
  public static SignedNote parse(String note) {
    int split = note.lastIndexOf("\n\n");
    if (split < 0 || split + 2 >= note.length() || !note.endsWith("\n")) {
      throw new IllegalArgumentException("a signed note is text, a blank line and signature lines");
    }
    String text = note.substring(0, split + 1);
    List<Signature> sigs = new ArrayList<>();
    for (String line : note.substring(split + 2, note.length() - 1).split("\n", -1)) {
      if (!line.startsWith(DASH)) {
        throw new IllegalArgumentException("a signature line starts with an em dash and a space");
      }
      int space = line.indexOf(' ', DASH.length());
      if (space < 0) {
        throw new IllegalArgumentException("a signature line is a key name and a base64 signature");
      }
      sigs.add(Signature.of(line.substring(DASH.length(), space), line.substring(space + 1)));
    }
    return new SignedNote(text, sigs);
  }

  /** Text rules of the spec: non-empty, ends in a newline, no ASCII control character but newline. */
  static void checkText(String text) {
    if (text.isEmpty() || !text.endsWith("\n")) {
      throw new IllegalArgumentException("note text must be non-empty and end in a newline");
    }
    // A lone surrogate has no UTF-8 encoding: the signed bytes would differ from the text.
    if (text.codePoints().anyMatch(c -> c < 0x20 && c != '\n' || c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
      throw new IllegalArgumentException("note text holds a control character or a lone surrogate");
    }
  }

  /** Key-name rules of the spec: non-empty, no Unicode space, no {@code +}. */
  static void checkName(String name) {
    if (name.isEmpty() || name.indexOf('+') >= 0 || name.codePoints().anyMatch(c -> Character.isWhitespace(c)
        || Character.isSpaceChar(c) || c < 0x20)) {
      throw new IllegalArgumentException("key name must be non-empty with no space and no '+'");
    }
  }
}
