package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.verify.KeyTransitions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code custos keys rotate} replaces the checkpoint key too, and {@code custos audit verify} follows the rotation. */
class KeysRotateCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    return CliRun.capturingOut(out, args);
  }

  private void appendAndCheckpoint(Path ledger, Path keys) throws Exception {
    try (MerkleLedger l = MerkleLedger.open(ledger, LocalKeySource.open(keys),
        LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1)))) {
      for (int i = 0; i < 3; i++) {
        l.append(AuditPruneCommandTest.event());
      }
      l.checkpointNow();
    }
  }

  @Test
  void rotateEndorsesANewCheckpointKeyAndVerifyFollowsIt() throws Exception {
    Path keys = tmp.resolve("keys");
    Path ledger = tmp.resolve("ledger");
    assertThat(run("keys", "init", "--dir", keys.toString())).isZero();
    String firstPem = Files.readString(keys.resolve(LocalKeySource.PUBLIC_KEY));
    appendAndCheckpoint(ledger, keys);

    assertThat(run("keys", "rotate", "--dir", keys.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("rotated checkpoint key (Ed25519)").contains("retired private key is deleted");
    assertThat(Files.readString(keys.resolve(LocalKeySource.PUBLIC_KEY))).isNotEqualTo(firstPem);
    appendAndCheckpoint(ledger, keys);
    assertThat(ledger.resolve(KeyTransitions.FILE)).exists();

    // Default key: the ledger's first, from its published statements.
    assertThat(run("audit", "verify", "--ledger", ledger.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ledger OK: 6 entries");
    // The current key alone cannot vouch for checkpoints signed before it was endorsed.
    assertThat(run("audit", "verify", "--ledger", ledger.toString(), "--public-key",
        keys.resolve(LocalKeySource.PUBLIC_KEY).toString())).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("precede the pinned key").contains("BAD_SIGNATURE");
  }

  @Test
  void initAndRotateRecordWhenEachCurrentKeyWasMade() throws Exception {
    Path keys = tmp.resolve("keys");
    assertThat(run("keys", "init", "--dir", keys.toString())).isZero();
    var made = io.custos.audit.ledger.KeyCreation.read(keys);
    assertThat(made).containsOnlyKeys(LocalKeySource.LEDGER_KEYSET, LocalKeySource.TOKEN_MAP_KEYSET,
        LocalKeySource.REQUEST_STATE_KEYSET, LocalKeySource.SIGNING_KEY);
    java.time.Instant longAgo = java.time.Instant.parse("2020-01-01T00:00:00Z");
    io.custos.audit.ledger.KeyCreation.record(keys, made.keySet(), longAgo);

    assertThat(run("keys", "rotate", "--dir", keys.toString())).isZero();
    assertThat(io.custos.audit.ledger.KeyCreation.read(keys)).allSatisfy((file, at) -> assertThat(at).as(file).isAfter(longAgo));
  }
}
