package io.custos.verify.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NoteCheckpointTest {
  static final String ORIGIN = "custos/ledger/00112233445566778899aabbccddeeff";
  static final byte[] ROOT = new byte[32];
  static final Instant TIME = Instant.parse("2026-11-29T08:36:21.031565332Z");

  static {
    for (int i = 0; i < ROOT.length; i++) {
      ROOT[i] = (byte) i;
    }
  }

  static KeyPair keyPair() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  @Test
  void bodyIsOriginSizeBase64RootAndTimestampLineExactly() {
    assertThat(NoteCheckpoint.body(ORIGIN, 15, ROOT, TIME)).isEqualTo(ORIGIN + "\n15\n"
        + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\ntimestamp 2026-11-29T08:36:21.031565332Z\n");
  }

  @Test
  void signedCheckpointIsASignedNoteNamedAfterItsOriginAndVerifies() throws Exception {
    KeyPair kp = keyPair();
    NoteKey key = new NoteKey(ORIGIN, kp.getPublic());
    NoteCheckpoint cp = NoteCheckpoint.sign(key, kp.getPrivate(), 15, ROOT, TIME);
    String encoded = cp.encode();
    String sig = Base64.getEncoder().encodeToString(concat(key.keyId(), cp.note().signatures().get(0).signature()));
    assertThat(encoded).isEqualTo(NoteCheckpoint.body(ORIGIN, 15, ROOT, TIME) + "\n\u2014 " + ORIGIN + " " + sig + "\n");
    assertThat(cp.note().signatures().get(0).signature()).hasSize(64);

    NoteCheckpoint back = NoteCheckpoint.parse(SignedNote.parse(encoded));
    assertThat(back.origin()).isEqualTo(ORIGIN);
    assertThat(back.treeSize()).isEqualTo(15);
    assertThat(back.rootHash()).isEqualTo(ROOT);
    assertThat(back.timestamp()).isEqualTo(TIME);
    assertThat(back.verifiedBy(CheckpointKey.anyOrigin(kp.getPublic()))).isTrue();
    assertThat(back.verifiedBy(CheckpointKey.of(NoteKey.parseVkey(key.vkey())))).isTrue();
  }

  @Test
  void wrongKeyOrOtherPinnedOriginIsRefused() throws Exception {
    KeyPair kp = keyPair();
    NoteCheckpoint cp = NoteCheckpoint.sign(new NoteKey(ORIGIN, kp.getPublic()), kp.getPrivate(), 15, ROOT, TIME);
    assertThat(cp.verifiedBy(CheckpointKey.anyOrigin(keyPair().getPublic()))).isFalse();
    assertThat(cp.verifiedBy(new CheckpointKey(kp.getPublic(), Optional.of("custos/ledger/other")))).isFalse();
  }

  @Test
  void alteredSizeRootOrTimestampNoLongerVerifies() throws Exception {
    KeyPair kp = keyPair();
    String note = NoteCheckpoint.sign(new NoteKey(ORIGIN, kp.getPublic()), kp.getPrivate(), 15, ROOT, TIME).note().encode();
    for (String forged : List.of(note.replace("\n15\n", "\n16\n"), note.replace("AAEC", "AAED"),
        note.replace("08:36:21", "08:36:22"))) {
      assertThat(NoteCheckpoint.parse(SignedNote.parse(forged)).verifiedBy(CheckpointKey.anyOrigin(kp.getPublic())))
          .as(forged).isFalse();
    }
  }

  @Test
  void malformedBodiesAreRefused() throws Exception {
    KeyPair kp = keyPair();
    NoteKey key = new NoteKey(ORIGIN, kp.getPublic());
    String root = Base64.getEncoder().encodeToString(ROOT);
    for (String text : List.of(ORIGIN + "\n015\n" + root + "\ntimestamp " + TIME + "\n",
        ORIGIN + "\n15\n" + root + "\n", ORIGIN + "\n15\nAAEC\ntimestamp " + TIME + "\n",
        ORIGIN + "\n-1\n" + root + "\ntimestamp " + TIME + "\n", ORIGIN + "\n15\n" + root + "\ntimestamp yesterday\n")) {
      SignedNote note = key.sign(text, kp.getPrivate());
      assertThatThrownBy(() -> NoteCheckpoint.parse(note)).as(text).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
