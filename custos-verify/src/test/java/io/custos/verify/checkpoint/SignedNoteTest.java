package io.custos.verify.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The C2SP signed-note encoding, checked byte for byte against the published vectors of the Go reference
 * implementation (golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann key and note).
 */
class SignedNoteTest {
  static final String VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  static final String SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  static final String TEXT = "If you think cryptography is the answer to your problem,\n"
      + "then you don't know what your problem is.\n";
  static final String NOTE = TEXT + "\n"
      + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

  /** The Ed25519 private key of the Go signer key string PRIVATE+KEY+name+id+base64(0x01 || 32-byte seed). */
  static PrivateKey goPrivateKey() throws Exception {
    // the base64 field may itself hold '+'
    byte[] typed = Base64.getDecoder().decode(SKEY.split("\\+", 5)[4]);
    assertThat(typed[0]).isEqualTo(NoteKey.ALG_ED25519);
    // RFC 8410 PKCS#8 wrapping of a 32-byte Ed25519 seed.
    byte[] pkcs8 = HexFormat.of().parseHex("302e020100300506032b657004220420");
    byte[] der = Arrays.copyOf(pkcs8, pkcs8.length + 32);
    System.arraycopy(typed, 1, der, pkcs8.length, 32);
    return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  @Test
  void verifierKeyOfTheGoVectorParsesAndEncodesBack() {
    NoteKey k = NoteKey.parseVkey(VKEY);
    assertThat(k.name()).isEqualTo("PeterNeumann");
    assertThat(HexFormat.of().formatHex(k.keyId())).isEqualTo("c74f20a3");
    assertThat(k.vkey()).isEqualTo(VKEY);
  }

  @Test
  void signingTheGoTextReproducesThePublishedNoteByteForByte() throws Exception {
    SignedNote n = NoteKey.parseVkey(VKEY).sign(TEXT, goPrivateKey());
    assertThat(n.encode()).isEqualTo(NOTE);
  }

  @Test
  void publishedNoteVerifiesAndParsesBackToItsBytes() {
    SignedNote n = SignedNote.parse(NOTE);
    assertThat(n.text()).isEqualTo(TEXT);
    assertThat(n.encode()).isEqualTo(NOTE);
    assertThat(NoteKey.parseVkey(VKEY).verifies(n)).isTrue();
  }

  @Test
  void alteredTextOrOtherKeyNameDoesNotVerify() {
    NoteKey k = NoteKey.parseVkey(VKEY);
    assertThat(k.verifies(SignedNote.parse(NOTE.replace("cryptography", "cryptographY")))).isFalse();
    assertThat(new NoteKey("PeterNeumann2", k.publicKey()).verifies(SignedNote.parse(NOTE))).isFalse();
  }

  @Test
  void manglingsOfTheVerifierKeyAreRefused() {
    assertThatThrownBy(() -> NoteKey.parseVkey(VKEY.replace("c74f20a3", "c74f20a4"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NoteKey.parseVkey(VKEY.replace("PeterNeumann", "PeterNeumanm")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NoteKey.parseVkey(VKEY.replace("+ARpc", "+AhRpc"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NoteKey.parseVkey(VKEY.substring(0, VKEY.length() - 4))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NoteKey.parseVkey("PeterNeumann+c74f20a3")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedNotesAreRefused() {
    for (String bad : List.of(TEXT, TEXT + "\n", NOTE.replace("\u2014 ", "- "), NOTE.substring(0, NOTE.length() - 1),
        NOTE.replace("x08go", "!x08go"), "a\tb\n" + NOTE.substring(TEXT.length()), NOTE.replace(" x08go", "x08go"))) {
      assertThatThrownBy(() -> SignedNote.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void keyNamesWithSpaceOrPlusAreRefused() {
    NoteKey k = NoteKey.parseVkey(VKEY);
    for (String bad : List.of("", "a b", "a+b", "a\u00a0b")) {
      assertThatThrownBy(() -> new NoteKey(bad, k.publicKey())).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void unknownSignaturesAreIgnoredButOneKnownOneSuffices() {
    SignedNote go = SignedNote.parse(NOTE);
    SignedNote.Signature other = new SignedNote.Signature("someone.else", new byte[] {1, 2, 3, 4}, new byte[64]);
    SignedNote both = SignedNote.parse(TEXT + "\n" + other.line() + go.signatures().get(0).line());
    assertThat(NoteKey.parseVkey(VKEY).verifies(both)).isTrue();
  }
}
