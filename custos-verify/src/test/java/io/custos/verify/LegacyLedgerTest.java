package io.custos.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.LegacyCheckpoint;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ledgers written before signed-note checkpoints still verify, and tampering with them is still named. */
class LegacyLedgerTest {
  @TempDir Path tmp;
  private Path dir;
  private CheckpointKey key;

  @BeforeEach
  void copyLedger() throws Exception {
    dir = LegacyLedger.copyTo(tmp.resolve("ledger"));
    key = CheckpointKey.read(dir.resolve("checkpoint-public.pem"));
  }

  private Finding first() throws Exception {
    VerificationReport r = LedgerVerifier.verify(dir, key, Optional.empty());
    assertThat(r.ok()).as("tampering must be detected").isFalse();
    return r.findings().get(0);
  }

  @Test
  void untouchedLegacyLedgerVerifies() throws Exception {
    assertThat(CheckpointLog.read(dir).checkpoints()).hasSize(3).allMatch(c -> c instanceof LegacyCheckpoint);
    VerificationReport r = LedgerVerifier.verify(dir, key, Optional.empty());
    assertThat(r.ok()).as(r.findings().toString()).isTrue();
    assertThat(r.entries()).isEqualTo(15);
    assertThat(r.checkpoints()).isEqualTo(3);
    assertThat(r.unanchored()).isZero();
    assertThat(r.origin()).isEmpty();
  }

  @Test
  void signaturesByAnotherKeyAreRefused() throws Exception {
    CheckpointKey other = CheckpointKey.anyOrigin(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    VerificationReport r = LedgerVerifier.verify(dir, other, Optional.empty());
    assertThat(r.findings()).filteredOn(f -> f.kind() == Finding.Kind.BAD_SIGNATURE).hasSize(3);
    assertThat(r.checkpoints()).isZero();
  }

  @Test
  void editedEntryIsNamed() throws Exception {
    LegacyLedger.rewrite(dir, l -> {
      byte[] e = l.get(7).clone();
      e[e.length - 1] ^= 1;
      l.set(7, e);
      return l;
    });
    Finding f = first();
    assertThat(f.kind()).isEqualTo(Finding.Kind.EDITED);
    assertThat(f.entryIndex()).isEqualTo(7);
    assertThat(f.checkpoint()).isEqualTo(2);
  }

  @Test
  void deletedEntryIsNamed() throws Exception {
    LegacyLedger.rewrite(dir, l -> {
      l.remove(5);
      return l;
    });
    Finding f = first();
    assertThat(f.kind()).isEqualTo(Finding.Kind.DELETED);
    assertThat(f.entryIndex()).isEqualTo(5);
  }

  @Test
  void reorderedEntriesAreNamed() throws Exception {
    LegacyLedger.rewrite(dir, l -> {
      Collections.swap(l, 3, 4);
      return l;
    });
    Finding f = first();
    assertThat(f.kind()).isEqualTo(Finding.Kind.REORDERED);
    assertThat(f.entryIndex()).isEqualTo(3);
    assertThat(f.checkpoint()).isEqualTo(1);
  }

  @Test
  void truncatedLedgerIsNamed() throws Exception {
    LegacyLedger.rewrite(dir, l -> l.subList(0, 12));
    Finding f = first();
    assertThat(f.kind()).isEqualTo(Finding.Kind.TRUNCATED);
    assertThat(f.entryIndex()).isEqualTo(12);
    assertThat(f.checkpoint()).isEqualTo(3);
  }
}
