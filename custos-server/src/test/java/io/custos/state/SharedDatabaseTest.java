package io.custos.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.ledger.PostgresLedgerStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The state store and the PostgreSQL ledger share one database: separate tables, separate schema histories. */
class SharedDatabaseTest {
  @Test
  void theStateStoreMigratesADatabaseThatAlreadyHoldsTheLedger() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        PostgresLedgerStore ledger = PostgresLedgerStore.using(pg.getPostgresDatabase());
        PostgresStateStore state = PostgresStateStore.builder()
            .jdbc(pg.getJdbcUrl("postgres", "postgres"), "postgres", Optional.of("postgres")).build()) {
      assertThat(state.singleUse().claimOnce("k", Instant.now().plusSeconds(60))).isTrue();
      assertThat(ledger.size()).isZero();
    }
  }

  @Test
  void theLedgerMigratesADatabaseThatAlreadyHoldsTheState() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        PostgresStateStore state = PostgresStateStore.builder()
            .jdbc(pg.getJdbcUrl("postgres", "postgres"), "postgres", Optional.of("postgres")).build();
        PostgresLedgerStore ledger = PostgresLedgerStore.using(pg.getPostgresDatabase())) {
      assertThat(ledger.size()).isZero();
      assertThat(state.singleUse().claimOnce("k", Instant.now().plusSeconds(60))).isTrue();
    }
  }
}
