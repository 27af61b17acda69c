package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request-state keyset of the key directory: made by {@code keys init}, added on open to a directory made before it
 * existed, rotated with the others (states sealed before a rotation still open), and the same for every server that
 * opens the directory.
 */
class RequestStateKeysetTest {
  private static final byte[] AD = "test".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  @Test
  void anOlderDirectoryGainsTheKeysetAndRotationKeepsSealedStatesReadable() throws Exception {
    Path keys = dir.resolve("keys");
    LocalKeySource.init(keys, Optional.empty());
    assertThat(keys.resolve(LocalKeySource.REQUEST_STATE_KEYSET)).exists();
    Files.delete(keys.resolve(LocalKeySource.REQUEST_STATE_KEYSET)); // as a directory made by an older version
    assertThat(LocalKeySource.describe(keys, Optional.empty())).extracting(KeysetInfo::name)
        .doesNotContain("request-state");

    LocalKeySource first = LocalKeySource.open(keys);
    byte[] sealed = first.requestStateAead().encrypt("state".getBytes(StandardCharsets.UTF_8), AD);
    assertThat(LocalKeySource.open(keys).requestStateAead().decrypt(sealed, AD)).asString(StandardCharsets.UTF_8)
        .isEqualTo("state"); // another server on the same directory opens it

    var rotated = LocalKeySource.rotate(keys, Optional.empty());
    assertThat(rotated).filteredOn(k -> k.name().equals("request-state")).singleElement()
        .satisfies(k -> assertThat(k.keyIds()).hasSize(2));
    LocalKeySource after = LocalKeySource.open(keys);
    assertThat(after.requestStateAead().decrypt(sealed, AD)).asString(StandardCharsets.UTF_8).isEqualTo("state");
    assertThat(java.nio.ByteBuffer.wrap(after.requestStateAead().encrypt(new byte[1], AD), 1, 4).getInt())
        .isNotEqualTo(java.nio.ByteBuffer.wrap(sealed, 1, 4).getInt()); // new states use the new primary key
  }
}
