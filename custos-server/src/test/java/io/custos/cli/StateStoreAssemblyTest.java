package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.config.CustosConfig;
import io.custos.state.InProcessStateStore;
import io.custos.state.PostgresStateStore;
import io.custos.state.StateStore;
import io.custos.state.StateUnavailableException;
import io.custos.testing.RestartablePostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The composition root keeps the state in process for one server and in the fleet's {@code database} otherwise. */
class StateStoreAssemblyTest {
  @TempDir
  Path dir;

  @Test
  void withoutADatabaseTheStateIsInProcess() {
    try (StateStore store = ServerAssembly.stateStore(Optional.empty(), Clock.systemUTC())) {
      assertThat(store).isInstanceOf(InProcessStateStore.class);
    }
  }

  @Test
  void withADatabaseTheStateIsThereWithThePasswordFromItsFile() throws Exception {
    Path password = Files.writeString(dir.resolve("password"), "postgres\n");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        StateStore store = ServerAssembly.stateStore(Optional.of(new CustosConfig.Database(pg.getJdbcUrl("postgres", "postgres"),
            "postgres", password.toString(), null, 2)), Clock.systemUTC())) {
      assertThat(store).isInstanceOf(PostgresStateStore.class);
      assertThat(store.singleUse().claimOnce("k", Instant.now().plusSeconds(60))).isTrue();
      assertThat(store.singleUse().claimOnce("k", Instant.now().plusSeconds(60))).isFalse();
    }
  }

  @Test
  void aServerDoesNotStartOnADatabaseItCannotReach() throws Exception {
    Path password = Files.writeString(dir.resolve("password"), "postgres\n");
    var unreachable = new CustosConfig.Database("jdbc:postgresql://127.0.0.1:" + RestartablePostgres.freePort() + "/custos",
        "custos", password.toString(), null, 2);

    assertThatThrownBy(() -> ServerAssembly.stateStore(Optional.of(unreachable), Clock.systemUTC()))
        .isInstanceOf(StateUnavailableException.class);
  }
}
