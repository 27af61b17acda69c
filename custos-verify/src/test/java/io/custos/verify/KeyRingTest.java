package io.custos.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.KeyTransition;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.NoteKey;
import io.custos.verify.checkpoint.SignedNote;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint key ring: built from the pinned key by following signed key transitions forward, and nothing else. */
class KeyRingTest {
  static final String ORIGIN = "custos/ledger/0123456789abcdef0123456789abcdef";
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T1 = Instant.parse("2026-02-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2026-03-01T00:00:00Z");
  static final byte[] ROOT = new byte[32];

  @TempDir Path dir;
  KeyPair k0;
  KeyPair k1;
  KeyPair k2;
  List<KeyTransition> chain;

  @BeforeEach
  void rotateTwice() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
    k0 = g.generateKeyPair();
    k1 = g.generateKeyPair();
    k2 = g.generateKeyPair();
    chain = new ArrayList<>(List.of(KeyTransition.sign(k0.getPublic(), k0.getPrivate(), k1.getPublic(), T1),
        KeyTransition.sign(k1.getPublic(), k1.getPrivate(), k2.getPublic(), T2)));
  }

  static NoteCheckpoint checkpoint(KeyPair k, long size, Instant at) throws Exception {
    return NoteCheckpoint.sign(new NoteKey(ORIGIN, k.getPublic()), k.getPrivate(), size, ROOT, at);
  }

  KeyRing ring(KeyPair pinned) throws Exception {
    KeyTransitions.write(dir, KeyTransitions.encode(chain));
    return KeyRing.build(CheckpointKey.anyOrigin(pinned.getPublic()), KeyTransitions.read(dir));
  }

  @Test
  void checkpointsOfEveryKeyVerifyFromTheOriginalKeyAlone() throws Exception {
    KeyRing ring = ring(k0);
    assertThat(ring.findings()).isEmpty();
    assertThat(ring.warnings()).isEmpty();
    assertThat(ring.epochs()).hasSize(3);
    assertThat(ring.check(checkpoint(k0, 1, T0), 1, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k1, 2, T1), 2, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k2, 3, T2.plusSeconds(5)), 3, "checkpoint #")).isEmpty();
  }

  @Test
  void aRetiredKeySigningAfterItsRetirementIsAFinding() throws Exception {
    KeyRing ring = ring(k0);
    Optional<Finding> late = ring.check(checkpoint(k0, 2, T1.plusSeconds(1)), 2, "checkpoint #");
    assertThat(late).get().extracting(Finding::kind).isEqualTo(Finding.Kind.RETIRED_KEY);
    assertThat(late.get().message()).contains("retired key signed after its retirement");
    Optional<Finding> early = ring.check(checkpoint(k2, 2, T1), 2, "checkpoint #");
    assertThat(early).get().extracting(Finding::kind).isEqualTo(Finding.Kind.RETIRED_KEY);
    assertThat(early.get().message()).contains("before the key was endorsed");
  }

  @Test
  void aTransitionNotSignedByTheKeyItRetiresIsAFindingAndEndorsesNothing() throws Exception {
    KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    // Claims to retire the current key k2, signed by the attacker's key in k2's name.
    KeyTransition forged = KeyTransition.parse(new NoteKey(KeyTransition.KEY_NAME, k2.getPublic())
        .sign(KeyTransition.body(k2.getPublic(), attacker.getPublic(), T2.plusSeconds(60)), attacker.getPrivate()));
    chain.add(forged);
    KeyRing ring = ring(k0);
    assertThat(ring.findings()).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_KEY_TRANSITION);
      assertThat(f.message()).contains("key transition #3").contains("not signed by the key it retires");
    });
    assertThat(ring.check(checkpoint(attacker, 4, T2.plusSeconds(120)), 4, "checkpoint #")).get()
        .extracting(Finding::kind).isEqualTo(Finding.Kind.BAD_SIGNATURE);
  }

  @Test
  void aValidlySignedTransitionFromAKeyOutsideTheChainIsAFinding() throws Exception {
    KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyPair next = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    chain.add(KeyTransition.sign(attacker.getPublic(), attacker.getPrivate(), next.getPublic(), T2.plusSeconds(60)));
    assertThat(ring(k0).findings()).singleElement().satisfies(f -> assertThat(f.message())
        .contains("not the current key " + KeyTransition.id(k2.getPublic())));
  }

  @Test
  void aForgedStatementEndorsingThePinnedKeyCutsNothingOff() throws Exception {
    KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    // Claims that the pinned key k0 replaced the attacker's key, signed by the attacker in that key's name, placed
    // after the real transitions: it is reported, and every real checkpoint still verifies.
    chain.add(KeyTransition.parse(new NoteKey(KeyTransition.KEY_NAME, attacker.getPublic())
        .sign(KeyTransition.body(attacker.getPublic(), k0.getPublic(), T2.plusSeconds(60)), attacker.getPrivate())));
    KeyRing ring = ring(k0);
    assertThat(ring.findings()).extracting(Finding::kind).containsExactly(Finding.Kind.BAD_KEY_TRANSITION);
    assertThat(ring.check(checkpoint(k0, 1, T0), 1, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k1, 2, T1), 2, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k2, 3, T2.plusSeconds(5)), 3, "checkpoint #")).isEmpty();
  }

  @Test
  void pinningALaterKeyCannotVouchForEarlierCheckpoints() throws Exception {
    KeyRing ring = ring(k1);
    assertThat(ring.findings()).isEmpty();
    assertThat(ring.warnings()).singleElement().asString().contains("1 key transition(s) precede the pinned key");
    assertThat(ring.check(checkpoint(k1, 2, T1), 2, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k2, 3, T2), 3, "checkpoint #")).isEmpty();
    assertThat(ring.check(checkpoint(k0, 1, T0), 1, "checkpoint #")).get().extracting(Finding::kind)
        .isEqualTo(Finding.Kind.BAD_SIGNATURE);
  }

  @Test
  void transitionsFileRoundTripsAndReportsATornOrAlteredEntry() throws Exception {
    String text = KeyTransitions.encode(chain);
    assertThat(KeyTransitions.parse(text).transitions()).extracting(KeyTransition::entry)
        .containsExactly(chain.get(0).entry(), chain.get(1).entry());
    assertThat(KeyTransitions.parse(text.substring(0, text.length() - 40)).problems()).singleElement().asString()
        .contains("incomplete");
    // An altered statement still parses, but no longer carries the retiring key's signature.
    String moved = text.replace("from " + T1, "from " + T0.plusSeconds(1));
    KeyRing ring = KeyRing.build(CheckpointKey.anyOrigin(k0.getPublic()), KeyTransitions.parse(moved));
    assertThat(ring.findings()).extracting(Finding::kind).contains(Finding.Kind.BAD_KEY_TRANSITION);
    assertThat(KeyTransitions.read(dir.resolve("absent")).transitions()).isEmpty();
  }

  @Test
  void prunedRangeRecordsAreSignedOverEveryField() throws Exception {
    PrunedRanges.Range unsigned = new PrunedRanges.Range(0, 10, T2.plusSeconds(10), 2192, "segment-0.seg");
    NoteKey key = new NoteKey(ORIGIN, k2.getPublic());
    PrunedRanges.append(dir, unsigned.signed(key.sign(unsigned.noteText(ORIGIN), k2.getPrivate())));
    PrunedRanges.Range read = PrunedRanges.read(dir).ranges().get(0);
    assertThat(read.origin()).contains(ORIGIN);
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    PrunedRangeSignatures.check(PrunedRanges.read(dir), ring(k0), Optional.of(ORIGIN), findings, warnings);
    assertThat(findings).isEmpty();
    assertThat(warnings).isEmpty();

    Path file = dir.resolve(PrunedRanges.FILE);
    Files.writeString(file, Files.readString(file).replace(" 2192 ", " 20 "), StandardCharsets.UTF_8);
    PrunedRangeSignatures.check(PrunedRanges.read(dir), ring(k0), Optional.of(ORIGIN), findings, warnings);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.BAD_PRUNED_RANGE);
      assertThat(f.message()).contains("entries 0..9").contains("forged or altered");
    });
  }

  @Test
  void anUnsignedRecordIsAWarningUnlessItFollowsASignedOne() throws Exception {
    PrunedRanges.Range first = new PrunedRanges.Range(0, 10, T2.plusSeconds(10), 2192, "segment-0.seg");
    PrunedRanges.append(dir, first);
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    PrunedRangeSignatures.check(PrunedRanges.read(dir), ring(k0), Optional.of(ORIGIN), findings, warnings);
    assertThat(findings).isEmpty();
    assertThat(warnings).singleElement().asString().contains("1 pruned-range record(s) carry no signature");

    PrunedRanges.Range second = new PrunedRanges.Range(10, 20, T2.plusSeconds(20), 2192, "segment-10.seg");
    NoteKey key = new NoteKey(ORIGIN, k2.getPublic());
    PrunedRanges.append(dir, second.signed(key.sign(second.noteText(ORIGIN), k2.getPrivate())));
    PrunedRanges.append(dir, new PrunedRanges.Range(20, 30, T2.plusSeconds(30), 2192, "segment-20.seg"));
    findings.clear();
    PrunedRangeSignatures.check(PrunedRanges.read(dir), ring(k0), Optional.of(ORIGIN), findings, warnings);
    assertThat(findings).singleElement().satisfies(f -> assertThat(f.message()).contains("entries 20..29")
        .contains("signature was stripped"));
  }

  @Test
  void aPrunedRangeSignedForAnotherLedgerIsAFinding() throws Exception {
    String other = "custos/ledger/ffffffffffffffffffffffffffffffff";
    PrunedRanges.Range r = new PrunedRanges.Range(0, 10, T2.plusSeconds(10), 2192, "segment-0.seg");
    SignedNote note = new NoteKey(other, k2.getPublic()).sign(r.noteText(other), k2.getPrivate());
    PrunedRanges.append(dir, r.signed(note));
    List<Finding> findings = new ArrayList<>();
    PrunedRangeSignatures.check(PrunedRanges.read(dir), ring(k0), Optional.of(ORIGIN), findings, new ArrayList<>());
    assertThat(findings).extracting(Finding::kind).containsExactly(Finding.Kind.BAD_PRUNED_RANGE);
  }
}
